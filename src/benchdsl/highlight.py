"""A Pygments lexer for .bench files.

Registered as the `bench` lexer (entry point `pygments.lexers`), so code
fences tagged ```bench in the docs are highlighted by any Pygments-based
documentation tool (MkDocs, Sphinx).  Its words come from `lexicon`; a test
lexes every rule file without an error token.
"""

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

from benchdsl import lexicon

DECLARATIONS = lexicon.DECLARATIONS
FIELDS = tuple(sorted({f for fs in lexicon.FIELDS.values() for f in fs if f.isalpha()} | set(lexicon.CONNECTIVES)))
FUNCTIONS = lexicon.FUNCTIONS + lexicon.BASES
QUALIFIERS = lexicon.qualifier_pattern(r"\s+") + r"\b"


class BenchLexer(RegexLexer):
    name = "benchdsl"
    aliases = ["bench", "benchdsl"]
    filenames = ["*.bench"]
    mimetypes = ["text/x-benchdsl"]

    tokens = {
        "root": [
            (r"[ \t\f]+", Whitespace),
            (r"\n", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"(\\\\.|[^"\\\\\n])*"', String.Double),
            (r"^(" + "|".join(DECLARATIONS) + r")\b(\s+)([^\W\d]\w*)?",
             bygroups(Keyword.Declaration, Whitespace, Name.Class)),
            (words(FUNCTIONS, suffix=r"(?=\()"), Name.Builtin),
            (r"\b(unit)([ \t]+)(\[[^\]\n]*\]|\S+)", bygroups(Keyword, Whitespace, Name.Decorator)),
            (words(FIELDS, prefix=r"\b", suffix=r"\b"), Keyword),
            (words(lexicon.CONSTANTS, prefix=r"\b", suffix=r"\b"), Keyword.Constant),
            (QUALIFIERS, Operator.Word),
            (r"\d+(\.\d+)?([eE][+-]?\d+)?", Number),
            (r"\[[^\]\n]*\]", Name.Decorator),  # a bracketed unit
            (r"(?<=\d )(%|[^\W\d]\w*([/*·][^\W\d]\w*)*)", Name.Decorator),  # a unit after a number
            (r"(\.\.|±|\+-|[-+*/=%@])", Operator),
            (r"[{}():,.\[\]]", Punctuation),
            (r"[^\W\d]\w*", Name),
            (r".", Text),
        ],
    }
