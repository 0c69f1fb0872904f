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

from shopsim.resolvers import derived_count, enum_value

LEAF, CONN, LIST, OBJ, TYPENAME, METAFIELD, METAFIELDS = range(7)


def compile_plan(proj, steps, ptype):
    env = {"enum_value": enum_value, "derived_count": derived_count, "proj": proj}
    body = ["def projection(value, children):", "    get = value.get", "    obj = {}"]
    add = body.append
    for n, (kind, out, name, sub, default, extra) in enumerate(steps):
        o, f = repr(out), repr(name)
        env[f"D{n}"] = default
        if sub is not None and sub[0] is not None:
            env[f"P{n}"] = proj.dispatcher(sub[0], sub[1])
        if kind == LEAF:
            add(f"    v = get({f})")
            if name == "legacyResourceId":
                add("    if v is None:")
                add("        i = get('id')")
                add(f"        v = str(i).rsplit('/', 1)[-1] if i else D{n}")
            elif extra is not None:
                env[f"E{n}"], env[f"T{n}"] = frozenset(extra.values), extra
                add(f"    if v is None: v = D{n}")
                add(f"    elif v.__class__ is not str or v not in E{n}: v = enum_value(T{n}, v)")
            elif default is not None:
                add(f"    if v is None: v = D{n}")
            add(f"    obj[{o}] = v")
        elif kind == TYPENAME:
            add(f"    obj[{o}] = get('__typename') or {ptype.name!r}")
        elif kind in (CONN, METAFIELDS):
            if sub[0] is None:  # a connection without nodes selected: no lines
                continue
            add("    pid = get('id')")
            items = f"get({f})" if kind == CONN else "proj._metafields(pid)"
            add(f"    for c in {items} or ():")
            add("        slot = len(children)")
            add("        children.append(None)")
            add(f"        line = P{n}(c, children)")
            add("        line['__parentId'] = pid")
            add("        children[slot] = line")
        elif kind == METAFIELD:
            env[f"K{n}"] = extra
            add(f"    mf = proj.metafield(get('id'), K{n})")
            add(f"    obj[{o}] = None if mf is None else P{n}(mf, children)")
        else:
            add(f"    v = get({f})")
            if name.endswith("Count"):
                add(f"    if v is None: v = derived_count(value, {f})")
            if default is None:
                missing = "None"
            elif kind == OBJ and isinstance(default, dict):
                missing = f"P{n}(D{n}, children)"
            else:
                missing = f"D{n}"
            add(f"    if v is None: obj[{o}] = {missing}")
            if kind == LIST:
                items = "v" if extra is None else f"v[:{int(extra)}]"
                add(
                    f"    elif v.__class__ is list: obj[{o}] = [P{n}(x, children) for x in {items}]"
                )
            add(f"    else: obj[{o}] = P{n}(v, children)")
    add("    return obj")
    code = compile("\n".join(body), f"<bulk projection of {ptype.name}>", "exec")
    exec(code, env)  # noqa: S102 - source built above from schema names and repr()s only
    return env["projection"]
