"""Facts from declarations: GCC/Clang attributes, doc comments, naming pairs."""

from __future__ import annotations

import pytest
from contracts_support import contracts_of, summary

from cgoguard.findings import Confidence

ATTRIBUTES = {
    "attr_malloc_dealloc": ("owned", "lib_release", [], [], None),
    "attr_malloc_trailing": ("owned", "lib_release", [], [], None),
    "attr_std_syntax": ("owned", None, [], [], None),
    "attr_through_macro": ("owned", None, [], [], None),
    "attr_dealloc_index": ("owned", "lib_release_second", [], [], None),
    "attr_ownership_returns": ("owned", None, [], [], None),
    "attr_ownership_takes": ("unknown", None, [0], [], None),
    "attr_ownership_holds": ("unknown", None, [], [1], None),
    "attr_function_macro": ("owned", "lib_release", [], [], None),
    "attr_function_macro_call": ("owned", "lib_release", [], [], None),
    # named as deallocators by malloc(dealloc, index)
    "lib_release": ("unknown", None, [0], [], None),
    "lib_release_second": ("unknown", None, [1], [], None),
}

COMMENTS = {
    "doc_free_with": ("owned", "handle_free", [], [], None),
    "doc_caller_owns": ("owned", None, [], [], None),
    "doc_owned_by_param": ("borrowed", None, [], [], 0),
    "doc_do_not_free": ("borrowed", None, [], [], None),
    "doc_static": ("static", None, [], [], None),
    "doc_valid_until": ("borrowed", None, [], [], 0),
    "doc_call_to_release": ("owned", "handle_free", [], [], None),
    "doc_takes": ("unknown", None, [1], [], None),
    "doc_keeps": ("unknown", None, [], [1], None),
    "doc_copies": ("unknown", None, [], [], None),
    "doc_frees": ("unknown", None, [0], [], None),
    "doc_bracketed": ("owned", "handle_free", [], [], None),
    "doc_shared_block": ("unknown", None, [], [], None),  # the sentence is about doc_other
    "doc_doxygen": ("owned", "handle_free", [], [2], None),
}

NAMING = {
    "session_new": ("owned", "session_free", [], [], None),
    "session_free": ("unknown", None, [0], [], None),
    "session_open": ("owned", "session_close", [], [], None),
    "session_close": ("unknown", None, [0], [], None),
    "ParserCreate": ("owned", "ParserDestroy", [], [], None),
    "ParserDestroy": ("unknown", None, [0], [], None),
    "new_session": ("owned", "free_session", [], [], None),
    "free_session": ("unknown", None, [0], [], None),
    "session_init": ("unknown", None, [], [], None),  # initialises caller storage: returns int
    "session_lookup": ("unknown", None, [], [], None),  # no allocator word
}


@pytest.mark.parametrize(("header", "expected"), [
    ("attributes.h", ATTRIBUTES), ("comments.h", COMMENTS), ("naming.h", NAMING)])
def test_declaration_facts(header: str, expected: dict) -> None:
    contracts = contracts_of(header)
    actual = {name: summary(contracts.get(name)) for name in expected}
    assert actual == expected


def test_comments_about_out_parameters() -> None:
    contracts = contracts_of("comments.h")
    assert contracts.get("doc_out_param").owned_out_args == {0: "handle_free"}
    assert contracts.get("doc_out_named").owned_out_args == {}, "two ** parameters, neither named"
    assert contracts.get("doc_doxygen").owned_out_args == {1: "handle_free"}, "said in the @param block"


def test_evidence_kind_and_confidence_per_source() -> None:
    attribute = contracts_of("attributes.h").get("attr_malloc_dealloc")
    comment = contracts_of("comments.h").get("doc_free_with")
    naming = contracts_of("naming.h").get("session_new")
    assert (attribute.evidence[0].kind, attribute.confidence) == ("attribute", Confidence.HIGH)
    assert (comment.evidence[0].kind, comment.confidence) == ("comment", Confidence.MEDIUM)
    assert (naming.evidence[0].kind, naming.confidence) == ("naming", Confidence.LOW)
    assert comment.evidence[0].text == "The result must be freed with handle_free()."
    assert comment.evidence[0].location == "comments.h:9"


def test_a_comment_does_not_invent_a_deallocator_from_ordinary_words() -> None:
    from contracts_support import contracts_of_text

    contracts = contracts_of_text(b"/* The result must be freed by the caller. */\nchar *f(void);\n")
    assert summary(contracts.get("f")) == ("owned", None, [], [], None)


FALSE_FRIENDS = {
    "rocksdb_open": ("owned", "rocksdb_close", [], [], None),
    "rocksdb_close": ("unknown", None, [0], [], None),
    "rocksdb_delete": ("unknown", None, [], [], None),  # deletes a key, not the db
    "x_close": ("unknown", None, [], [], None),  # nothing opens an x_handle
    "Window_New": ("owned", "Window_Free", [], [], None),
    "Window_Free": ("unknown", None, [0], [], None),
    "Window_Close": ("unknown", None, [], [], None),  # new pairs with free, not close
    "go_lxc_destroy": ("unknown", None, [], [], None),  # go_lxc_create returns a bool
    "session_new": ("owned", "session_release", [], [], None),
    "session_release": ("unknown", None, [1], [], None),  # the parameter typed like the result
    "blob_create": ("unknown", None, [], [], None),  # blob_destroy cannot take a blob
    "blob_destroy": ("unknown", None, [], [], None),
    "XXH_malloc": ("owned", "XXH_free", [], [], None),
    "XXH_free": ("unknown", None, [0], [], None),
    "git_indexer_new": ("unknown", None, [], [], None),  # hands the object out through arg 0
    "git_indexer_free": ("unknown", None, [0], [], None),
    "git_thing_new": ("unknown", None, [], [], None),
    "git_thing_free": ("unknown", None, [], [], None),  # takes no git_indexer *
}


def test_a_name_needs_a_pair_that_takes_the_allocators_type() -> None:
    contracts = contracts_of("false_friends.h")
    assert {name: summary(contracts.get(name)) for name in FALSE_FRIENDS} == FALSE_FRIENDS
    assert contracts.get("session_release").evidence[0].text == "naming pair session_new / session_release"
    assert contracts.get("git_indexer_new").owned_out_args == {0: "git_indexer_free"}
    assert contracts.get("git_thing_new").owned_out_args == {}
    assert not contracts.is_deallocator("rocksdb_delete")
    assert contracts.is_deallocator("rocksdb_close")


def test_a_release_named_by_a_comment_frees_its_only_pointer_parameter() -> None:
    from contracts_support import contracts_of_text

    source = (b"typedef struct img img;\n/* The result must be freed with buf_release(). */\n"
              b"unsigned char *encode(const img *i);\nvoid buf_release(void *buf);\n")
    release = contracts_of_text(source).get("buf_release")
    assert sorted(release.frees_args) == [0]
    assert [(e.kind, e.text) for e in release.evidence] == [("comment", "encode's result is released with buf_release")]
