"""Ownership facts stated in the doc comment above a declaration.

Only sentences with a clear meaning count: "must be freed with X", "the caller owns/must
free", "do not free", "owned by <param>", "valid until ...", "static buffer", "takes
ownership of <param>", "<param> must remain valid until ...". Comments go stale, so these
facts rank below bodies, attributes and packs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from cgoguard.cfront.model import CFunction
from cgoguard.contracts.model import Evidence, Fact
from cgoguard.findings import Confidence

_RELEASE_VERB = r"(?:freed|released|deallocated|destroyed|disposed(?:\s+of)?|closed|deleted)"
_BY = r"(?:with|using|by\s+calling|by\s+(?:a\s+)?(?:subsequent\s+)?call\s+to|via|through|by)"
# `name`, name(), [name()] or name(X): how headers and Doxygen write a function reference.
_NAME = r"[`\[]?(?P<name>[A-Za-z_]\w*)(?:\s*\(\s*\w*\s*\))?[`\]]?"
_OWNED_WITH = [
    re.compile(rf"\b(?:must|should|has\s+to|needs\s+to|can|may)\s+be\s+(?:later\s+)?{_RELEASE_VERB}"
               rf"(?:\s+(?:later|by\s+the\s+(?:caller|user|application)))?\s+{_BY}\s+{_NAME}", re.I),
    re.compile(rf"\b(?:free|release|deallocate|destroy|dispose\s+of|delete)\s+(?:it|them|the\s+(?:result|returned\s+\w+"
               rf"|memory|string|buffer|object|handle)|this\s+\w+)\s+{_BY}\s+{_NAME}", re.I),
    re.compile(rf"\b(?:call|use|pass\s+it\s+to)\s+{_NAME}\s+(?:on\s+it\s+|on\s+the\s+result\s+)?to\s+"
               r"(?:free|release|deallocate|destroy|dispose)", re.I),
]
_OWNED = re.compile(
    r"\b(?:caller\s+(?:owns|takes\s+ownership|must\s+(?:free|release|delete|destroy)|is\s+responsible\s+for\s+"
    r"(?:freeing|releasing|deallocating|deleting|destroying))|(?:must|should)\s+be\s+(?:freed|released|deallocated)"
    r"|newly\s+allocated|dynamically\s+allocated|allocated\s+with\s+malloc|ownership\s+(?:is\s+)?(?:passes|transferred)"
    r"\s+to\s+the\s+caller)", re.I)
_NOT_FREE = re.compile(
    r"\b(?:(?:must|should)\s+not\s+be\s+(?:freed|released|deallocated|modified\s+or\s+freed)|do\s+not\s+(?:free|release|"
    r"deallocate|delete)|don't\s+(?:free|release)|never\s+(?:free|release)|caller\s+(?:must|should)\s+not\s+free"
    r"|is\s+not\s+owned\s+by\s+the\s+caller)", re.I)
_STATIC = re.compile(r"\b(?:static(?:ally\s+allocated)?\s+(?:buffer|string|storage|memory|array)|string\s+literal"
                     r"|statically\s+allocated|constant\s+string)", re.I)
_OWNED_BY = re.compile(r"\b(?:owned\s+by|belongs\s+to|points?\s+into|part\s+of|lifetime\s+of)\s+(?:the\s+|its\s+|that\s+)?`?"
                       r"(?P<name>[A-Za-z_]\w*)", re.I)
_VALID_UNTIL = re.compile(r"\b(?:(?:is|are|remains?|stays?)\s+valid\s+(?:only\s+)?(?:until|as\s+long\s+as|while|for\s+the"
                          r"\s+lifetime\s+of)|valid\s+until)\b(?P<rest>[^.;]*)", re.I)
_TAKES = re.compile(r"\b(?:takes|assumes|acquires)\s+(?:over\s+)?ownership\s+of\s+(?:the\s+)?`?(?P<name>[A-Za-z_]\w*)", re.I)
_NOT_TAKES = re.compile(r"\b(?:does\s+not|doesn't|never)\s+(?:take|assume)\s+ownership\s+of\s+(?:the\s+)?`?"
                        r"(?P<name>[A-Za-z_]\w*)", re.I)
# "X is freed" alone is often a condition ("valid until X is freed"): only "X is freed by
# this function/call" states what the call does.
_FREES = re.compile(r"\b(?:frees|releases|deallocates|destroys)\s+(?:the\s+)?`?(?P<name>[A-Za-z_]\w*)`?"
                    r"|`?(?P<name2>[A-Za-z_]\w*)`?\s+(?:is|will\s+be)\s+(?:freed|released|deallocated|destroyed)"
                    r"\s+by\s+(?:this|the)\s+(?:function|call)", re.I)
_KEEPS = re.compile(
    r"`?(?P<name>[A-Za-z_]\w*)`?\s+(?:must|should|has\s+to|needs\s+to)\s+(?:remain|stay|be\s+kept)\s+(?:valid|alive|"
    r"allocated)|`?(?P<name2>[A-Za-z_]\w*)`?\s+must\s+outlive"
    r"|\b(?:keeps|retains|holds|stores)\s+(?:a\s+)?(?:reference\s+to|pointer\s+to|on\s+to)?\s*(?:the\s+)?`?"
    r"(?P<name3>[A-Za-z_]\w*)`?\s+(?:pointer|until|for|after|beyond)", re.I)
_NOT_RELEASE_NAMES = frozenset({"the", "a", "an", "caller", "user", "application", "calling", "it", "this", "that",
                                "means", "itself"})
_WORD = re.compile(r"[A-Za-z_]\w*")
_RETURNED_BY = re.compile(r"\breturned\s+by\s+[`\[]?(?P<name>[A-Za-z_]\w*)\s*\(", re.I)
# `@param name`, `\\param[in,out] name`, `@return(s)`, `@retval`, or any other tag (`@sa`, `@remark`).
_DOXYGEN_TAG = re.compile(r"^\s*[@\\](?P<tag>\w+)(?:\[[^\]]*\])?\s*(?P<name>\w+)?", re.I)
# Inside a parameter's own block the subject is implicit: "must remain valid until ...".
_IMPLICIT_KEEPS = re.compile(r"\b(?:must|should|has\s+to|needs\s+to)\s+(?:remain|stay|be\s+kept)\s+(?:valid|alive|"
                             r"allocated)|\bmust\s+outlive\b|\b(?:is|are)\s+not\s+copied\b|\bby\s+reference\b", re.I)
_IMPLICIT_TAKES = re.compile(r"\b(?:takes|assumes)\s+ownership\b|\bownership\s+(?:\w+\s+){0,3}(?:is\s+)?"
                             r"(?:transferred|passed)\b|\b(?:is|will\s+be)\s+(?:freed|destroyed|released)\s+by\s+"
                             r"(?:this|the)\s+(?:function|call)", re.I)
# A parameter documented as a C string: "a NUL-terminated string", "null-terminated", "C string".
_NUL_TERMINATED = re.compile(r"(?:\b(?:nul|null|zero)|\\0|'\\0')[- ]terminated\b|\bC[- ]string\b", re.I)
# ... unless the sentence is about what the call writes or returns there.
_OUTPUT_WORDS = re.compile(r"\b(?:receives?|received|fill(?:s|ed)?|writ(?:e|es|ten)|stor(?:e|es|ed)|output|"
                           r"returns?|returned|copie[sd]\s+(?:in)?to)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n\s*\n")


def clean_comment(raw: str) -> str:
    """Comment text without delimiters, leading stars or Doxygen line prefixes."""
    lines = []
    for line in raw.splitlines():
        line = line.strip()
        line = re.sub(r"^(?:/\*+!?|\*+/?|//+!?|///?<?)", "", line)
        line = re.sub(r"\*+/$", "", line).strip()
        lines.append(line)
    return "\n".join(lines).strip()


def _sentences(text: str) -> Iterator[str]:
    for chunk in _SENTENCE_END.split(text):
        sentence = " ".join(chunk.split())
        if sentence:
            yield sentence


def _blocks(text: str) -> Iterator[tuple[str, str]]:
    """(subject, text) of a comment: ``param NAME`` / ``return`` for Doxygen blocks, else ``""``."""
    subject, lines = "", []
    for line in text.splitlines():
        tag = _DOXYGEN_TAG.match(line)
        if tag:
            yield subject, "\n".join(lines)
            kind = tag.group("tag").lower()
            if kind == "param":
                subject, rest = f"param {tag.group('name') or ''}", line[tag.end():]
            else:
                subject, rest = ("return" if kind.startswith("ret") else ""), line[tag.end("tag"):]
            lines = [rest]
        else:
            lines.append(line)
    yield subject, "\n".join(lines)


def comment_facts(function: CFunction, *, returns_pointer: bool, is_function: Callable[[str], bool]) -> list[Fact]:
    """Facts stated by ``function``'s leading comment; ``is_function`` recognises known names.

    A Doxygen ``@param NAME`` block speaks about that parameter even where its sentences do
    not repeat the name ("The buffer must be freed with X" under ``@param bufferp``).
    """
    if not function.comment:
        return []
    params = {p.name: i for i, p in enumerate(function.params) if p.name}
    reader = _SentenceReader(function.name, f"{function.path}:{function.line}", params)
    outs = [i for i, p in enumerate(function.params) if p.pointer_depth >= 2 and p.name]
    for subject, text in _blocks(clean_comment(function.comment)):
        param = params.get(subject.removeprefix("param ")) if subject.startswith("param ") else None
        for sentence in _sentences(text):
            if param is not None:
                reader.parameter_block_facts(sentence, param, param in outs, is_function)
            elif returns_pointer:
                reader.result_facts(sentence, is_function)
            elif outs and subject != "return":
                reader.out_facts(sentence, outs, is_function)
            reader.argument_facts(sentence)
    return reader.facts


class _SentenceReader:
    def __init__(self, function: str, where: str, params: dict[str, int]) -> None:
        self.function = function
        self.where = where
        self.params = params
        self.facts: list[Fact] = []

    def claim(self, description: str, sentence: str, *claims: tuple[str, object, int | None]) -> None:
        """Facts read from one sentence share its evidence, so a document lists it once."""
        evidence = Evidence("comment", description, self.where, sentence)
        self.facts += [Fact(aspect, value, evidence, Confidence.MEDIUM, arg) for aspect, value, arg in claims]

    def result_facts(self, sentence: str, is_function: Callable[[str], bool]) -> None:
        other = _RETURNED_BY.search(sentence)
        if other and other.group("name") != self.function:
            return  # a comment shared by several declarations, talking about another one
        if _STATIC.search(sentence):
            self.claim("returns static storage (never freed)", sentence, ("returns", "static", None))
            return
        owner = self._owner(sentence)
        if owner is not None:
            self.claim(f"the result belongs to arg {owner}", sentence, ("returns", "borrowed", None),
                       ("borrows", owner, None))
            return
        if _NOT_FREE.search(sentence) or _VALID_UNTIL.search(sentence):
            self.claim("the caller must not free the result", sentence, ("returns", "borrowed", None))
            return
        for pattern in _OWNED_WITH:
            match = pattern.search(sentence)
            if match and _is_release_name(match.group("name"), is_function):
                name = match.group("name")
                self.claim(f"returns owned memory (release with {name})", sentence, ("returns", "owned", None),
                           ("deallocator", name, None))
                return
        if _OWNED.search(sentence):
            self.claim("returns owned memory", sentence, ("returns", "owned", None))

    def parameter_block_facts(self, sentence: str, param: int, is_out: bool,
                              is_function: Callable[[str], bool]) -> None:
        """A sentence of the ``@param`` block of parameter ``param``."""
        if _documents_input_string(sentence) and not is_out:
            self.claim(f"reads arg {param} as a NUL-terminated string", sentence, ("reads_string", True, param))
        if is_out:
            self.out_facts(sentence, [param], is_function)
        elif _IMPLICIT_KEEPS.search(sentence):
            self.claim(f"keeps arg {param}", sentence, ("retains", True, param))
        elif _IMPLICIT_TAKES.search(sentence):
            self.claim(f"takes over (frees) arg {param}", sentence, ("frees", True, param))

    def out_facts(self, sentence: str, outs: list[int], is_function: Callable[[str], bool]) -> None:
        """``int get(T **out)``: "the returned object must be freed with T_free" is about ``*out``."""
        named = [i for name, i in self.params.items() if i in outs and name in _WORD.findall(sentence)]
        target = named[0] if len(named) == 1 else outs[0] if len(outs) == 1 else None
        if target is None or _NOT_FREE.search(sentence):
            return
        for pattern in _OWNED_WITH:
            match = pattern.search(sentence)
            if match and _is_release_name(match.group("name"), is_function):
                name = match.group("name")
                self.claim(f"hands back an owned object through arg {target} (release with {name})", sentence,
                           ("out", name, target))
                return
        if _OWNED.search(sentence):
            self.claim(f"hands back an owned object through arg {target}", sentence, ("out", None, target))

    def _owner(self, sentence: str) -> int | None:
        for pattern, group in ((_OWNED_BY, "name"), (_VALID_UNTIL, "rest")):
            match = pattern.search(sentence)
            if match is None:
                continue
            words = _WORD.findall(match.group(group))
            owner = next((self.params[w] for w in words if w in self.params), None)
            if owner is not None:
                return owner
        return None

    def argument_facts(self, sentence: str) -> None:
        if not self.params.keys() & set(_WORD.findall(sentence)):
            return  # every argument fact names a parameter
        if _NOT_TAKES.search(sentence):
            # "does not take ownership of p" must not also read as "takes ownership of p".
            self._argument_claims(sentence, _NOT_TAKES, "frees", False, "does not take over")
            return
        self._argument_claims(sentence, _TAKES, "frees", True, "takes over (frees)")
        self._argument_claims(sentence, _FREES, "frees", True, "frees")
        self._argument_claims(sentence, _KEEPS, "retains", True, "keeps")
        named = [self.params[w] for w in dict.fromkeys(_WORD.findall(sentence)) if w in self.params]
        if len(named) == 1 and _documents_input_string(sentence):
            self.claim(f"reads arg {named[0]} as a NUL-terminated string", sentence, ("reads_string", True, named[0]))

    def _argument_claims(self, sentence: str, pattern: re.Pattern[str], aspect: str, value: bool, verb: str) -> None:
        for match in pattern.finditer(sentence):
            name = next((g for g in match.groups() if g), "")
            if name in self.params:
                index = self.params[name]
                self.claim(f"{verb} arg {index} ({name})", sentence, (aspect, value, index))


def _documents_input_string(sentence: str) -> bool:
    return bool(_NUL_TERMINATED.search(sentence)) and not _OUTPUT_WORDS.search(sentence)


def _is_release_name(name: str, is_function: Callable[[str], bool]) -> bool:
    return name.lower() not in _NOT_RELEASE_NAMES and (is_function(name) or "_" in name)
