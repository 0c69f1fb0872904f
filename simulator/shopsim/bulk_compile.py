"""Compile a bulk projection plan into one Python function per (selection, type).

A plan is a list of steps `(kind, output key, field name, (sub selection, sub type),
default, extra)` built by `bulk_jsonl.Projector.plan`; the generated function does what
an interpreter loop over the steps would, with the branches decided once. The rules are
those of `resolvers.field_resolver`, so a line equals the normal GraphQL result:

* LEAF: the stored value; when missing, `legacyResourceId` from the id, else the type
  default of a non-null field (None otherwise); enums outside the field's enum coerced.
* OBJ / LIST: the stored object(s) projected through the sub-selection; a missing count
  field is counted from its list; a missing non-null object is its default projected.
* CONN / METAFIELDS: every node becomes a child line with `__parentId`, appended to
  `children` before its own children (pre-order), and leaves no key in the parent.
"""

from __future__ import annotations

import itertools

from shopsim.bulk_query import is_concrete
from shopsim.resolvers import derived_count, enum_value

LEAF, CONN, LIST, OBJ, TYPENAME, METAFIELD, METAFIELDS = range(7)


INLINE_DEPTH = 6  # nested plain objects (money bags, addresses) are inlined this deep


def compile_plan(proj, steps, ptype):
    """The function `projection(value, children) -> line dict` for `steps` on `ptype`."""
    env = {"enum_value": enum_value, "derived_count": derived_count, "proj": proj}
    body = ["def projection(value, children):"]
    _emit(proj, env, body, steps, ptype, "value", "obj", 1, itertools.count())
    body.append("    return obj")
    code = compile("\n".join(body), f"<bulk projection of {ptype.name}>", "exec")
    exec(code, env)  # noqa: S102 - source built above from schema names and repr()s only
    return env["projection"]


def _inlinable(proj, sub, depth: int):
    """The plan of a sub-object worth inlining: concrete type, no lines of its own."""
    if depth >= INLINE_DEPTH or sub[0] is None or not is_concrete(sub[1].name):
        return None
    steps = proj.plan(sub[0], sub[1])
    if any(step[0] in (CONN, METAFIELDS, METAFIELD) for step in steps):
        return None
    return steps


def _emit(proj, env, body, steps, ptype, val, obj, depth, counter):
    """Append the code building `obj` from the record in variable `val`."""
    ind = "    " * depth
    get, v = f"g{depth}", f"v{depth}"

    def add(line):
        body.append(ind + line)

    add(f"{get} = {val}.get")
    add(f"{obj} = {{}}")
    for kind, out, name, sub, default, extra in steps:
        n = next(counter)
        o, f = repr(out), repr(name)
        env[f"D{n}"] = default
        if sub is not None and sub[0] is not None:
            env[f"P{n}"] = proj.dispatcher(sub[0], sub[1])
        if kind == LEAF:
            add(f"{v} = {get}({f})")
            if name == "legacyResourceId":
                add(f"if {v} is None:")
                add(f"    i = {get}('id')")
                add(f"    {v} = str(i).rsplit('/', 1)[-1] if i else D{n}")
            elif extra is not None:
                env[f"E{n}"], env[f"T{n}"] = frozenset(extra.values), extra
                add(f"if {v} is None: {v} = D{n}")
                add(
                    f"elif {v}.__class__ is not str or {v} not in E{n}: {v} = enum_value(T{n}, {v})"
                )
            elif default is not None:
                add(f"if {v} is None: {v} = D{n}")
            add(f"{obj}[{o}] = {v}")
        elif kind == TYPENAME:
            add(f"{obj}[{o}] = {get}('__typename') or {ptype.name!r}")
        elif kind in (CONN, METAFIELDS):
            if sub[0] is None:  # a connection without nodes selected: no lines
                continue
            add(f"pid = {get}('id')")
            items = f"{get}({f})" if kind == CONN else "proj._metafields(pid)"
            add(f"for c in {items} or ():")
            add("    slot = len(children)")
            add("    children.append(None)")
            add(f"    line = P{n}(c, children)")
            add("    line['__parentId'] = pid")
            add("    children[slot] = line")
        elif kind == METAFIELD:
            env[f"K{n}"] = extra
            add(f"mf = proj.metafield({get}('id'), K{n})")
            add(f"{obj}[{o}] = None if mf is None else P{n}(mf, children)")
        else:
            add(f"{v} = {get}({f})")
            if name.endswith("Count"):
                add(f"if {v} is None: {v} = derived_count({val}, {f})")
            if default is None:
                missing = "None"
            elif kind == OBJ and isinstance(default, dict):
                missing = f"P{n}(D{n}, children)"
            else:
                missing = f"D{n}"
            add(f"if {v} is None: {obj}[{o}] = {missing}")
            if kind == LIST:
                items = v if extra is None else f"{v}[:{int(extra)}]"
                add(
                    f"elif {v}.__class__ is list: {obj}[{o}] = [P{n}(x, children) for x in {items}]"
                )
            inner = _inlinable(proj, sub, depth) if kind == OBJ else None
            if inner is not None:
                tn = repr(sub[1].name)
                add(f"elif {v}.__class__ is dict and {v}.get('__typename', {tn}) == {tn}:")
                _emit(proj, env, body, inner, sub[1], v, f"o{depth + 1}", depth + 1, counter)
                add(f"    {obj}[{o}] = o{depth + 1}")
            add(f"else: {obj}[{o}] = P{n}({v}, children)")
