"""`unit` declarations: the rules' own counted units, and more names for known ones.

Checked first, before any unit text of the rules is read, and put in effect with
`units.declare`; the program keeps them (`Program.units`) so that a run whose
checked rules come from the cache reads its panels under the same units.
"""

from __future__ import annotations

import re

from benchdsl import ast, units
from benchdsl.check.context import Context

# A name as the unit grammar reads one (units._TOKEN's `name`)
_NAME = re.compile(r"[^\W\d]\w*\Z")


class Units:
    def __init__(self, c: Context):
        self.c = c

    def check(self, decls: list[ast.UnitDecl]) -> tuple:
        """-> ((name, (alias, ...)), ...) in effect from now on; errors for what cannot be one."""
        units.declare(())  # the built-in units only, whatever an earlier check declared
        taken: dict[str, ast.UnitDecl] = {}  # a name or alias -> where it was declared
        out = []
        for d in decls:
            if d.name in taken:
                self.c.err(d.span, f"unit `{d.name}` is declared twice",
                           f"the first is at {taken[d.name].span}; give all its names there")
                continue
            if not d.aliases and units.is_builtin(d.name):
                self.c.err(d.span, f"`{d.name}` is a unit benchdsl knows already",
                           f'to add a name for it: unit {d.name} "NAME"; to count something else, choose another name')
                continue
            aliases = []
            for alias in d.aliases:
                if not _NAME.match(alias):
                    self.c.err(d.span, f'"{alias}" cannot be the name of a unit',
                               "a unit's name is a word: letters, digits and _ (not first a digit), no spaces")
                elif alias in taken or (units.is_builtin(alias) and alias != d.name):
                    where = taken.get(alias)
                    self.c.err(d.span, f'"{alias}" is already the name of a unit'
                               + (f" (declared at {where.span})" if where else ""),
                               "each name can stand for one unit only")
                else:
                    aliases.append(alias)
            # declared with the names that can be its names, so its uses are no errors too
            for n in (d.name, *aliases):
                taken[n] = d
            out.append((d.name, tuple(aliases)))
        declared = tuple(out)
        units.declare(declared)
        return declared
