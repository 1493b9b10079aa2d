"""The C model: declarations, records, typedefs and the macros real headers wrap them in."""

from __future__ import annotations

from pathlib import Path

from cgoguard.cfront.build import CSourceInput, build_c_model


def model_of(source: str, *, headers: dict[str, str] | None = None, tmp: Path | None = None):
    directory = tmp or Path(".")
    for name, text in (headers or {}).items():
        (directory / name).write_text(text)
    return build_c_model([CSourceInput("x.c", source.encode(), directory)], [])


def signature(model, name: str) -> tuple:
    f = model.functions[name]
    return f.return_type, f.return_pointer_depth, [(p.name, p.type, p.pointer_depth) for p in f.params]


def test_functions_prototypes_and_attributes() -> None:
    model = model_of('''
/* Returns a copy the caller frees. */
static char *dup(const char *s, int n, void (*cb)(void *), ...) __attribute__((malloc)) { return 0; }
__attribute__((malloc)) char *dup2(const char *);
void (*getcb(void))(int);
''')
    assert signature(model, "dup") == ("char", 1, [("s", "char", 1), ("n", "int", 0), ("cb", "void", 0)])
    dup = model.functions["dup"]
    assert dup.body is not None and dup.variadic and dup.is_static
    assert dup.attributes == ["__attribute__((malloc))"] and "caller frees" in dup.comment
    assert model.functions["dup2"].attributes == ["__attribute__((malloc))"]
    assert model.functions["dup"].params[2].is_function_pointer


def test_records_typedefs_and_pointer_members() -> None:
    model = model_of('''
typedef struct node { int *p; char a[3]; struct node *next; void (*fn)(int); } node_t;
typedef node_t *node_p;
typedef struct { void *x; } anon_t;
union u { int *p; long x; };
''')
    assert [m.name for m in model.pointer_members("node_t")] == ["p", "next", "fn"]
    assert [m.name for m in model.pointer_members("struct_node")] == ["p", "next", "fn"]
    assert [m.name for m in model.pointer_members("anon_t")] == ["x"]
    assert [m.name for m in model.pointer_members("union_u")] == ["p"]
    assert model.is_pointer_type("node_p") and not model.is_pointer_type("node_t")


def test_export_macros_of_real_headers_do_not_hide_declarations() -> None:
    model = model_of('''
#define SQLITE_API
#define GIT_EXTERN(type) extern __attribute__((visibility("default"))) type
SQLITE_API sqlite3_int64 sqlite3_value_int64(sqlite3_value*);
SQLITE_API char *sqlite3_expanded_sql(sqlite3_stmt *pStmt);
GIT_EXTERN(int) git_repository_open(git_repository **out, const char *path);
GIT_EXTERN(const char *) git_repository_path(const git_repository *repo);
ZSTDLIB_API size_t ZSTD_compress(void* dst, size_t dstCapacity);
''')
    assert signature(model, "sqlite3_value_int64") == ("sqlite3_int64", 0, [("", "sqlite3_value", 1)])
    assert signature(model, "sqlite3_expanded_sql") == ("char", 1, [("pStmt", "sqlite3_stmt", 1)])
    assert signature(model, "git_repository_open")[2] == [("out", "git_repository", 2), ("path", "char", 1)]
    assert signature(model, "git_repository_path")[:2] == ("char", 1)
    assert signature(model, "ZSTD_compress")[0] == "size_t"  # by its conventional name alone
    # Blanking keeps positions: lines still match the file.
    assert model.functions["sqlite3_expanded_sql"].line == 5


def test_decorator_defined_in_an_included_header(tmp_path: Path) -> None:
    model = model_of('#include "api.h"\nMYLIB_VISIBLE int mylib_open(void **out);\n',
                     headers={"api.h": "#define MYLIB_VISIBLE __attribute__((visibility(\"default\")))\n"},
                     tmp=tmp_path)
    assert signature(model, "mylib_open") == ("int", 0, [("out", "void", 2)])


def test_macro_aliases_and_conditional_blocks() -> None:
    model = model_of('''
#define my_free free
#ifdef __linux__
void *lib_new(void);
#else
void *lib_new_other(void);
#endif
''')
    assert model.macro_aliases == {"my_free": "free"}
    assert {"lib_new", "lib_new_other"} <= set(model.functions)
