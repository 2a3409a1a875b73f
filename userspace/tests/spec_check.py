#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Check that the netlink spec and the uapi header say the same thing.

Usage: spec_check.py [SPEC.yaml [HEADER.h]]

For every enum and flags definition, attribute set and the operation list
of Documentation/netlink/specs/ockam.yaml, the C names are built as the
kernel's YNL tools build them (name-prefix + entry name, upper case, '-'
as '_') and must appear in uapi/linux/ockam.h in the same order with the
same values, with nothing extra (only the __*_MAX sentinels). The family
name, version-independent defines and the numeric bounds the spec states
as checks must match the header's constants too. Prints TAP; exits 1 on
any mismatch.
"""

import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))


def c_name(prefix, name):
    return (prefix + name).upper().replace("-", "_")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


class Header:
    """The enums and #defines of a uapi header, with values evaluated."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            text = strip_comments(f.read())
        self.values = {}
        self.strings = {}
        self.enums = []  # (enum name, [(entry, value), ...])
        for m in re.finditer(r"#define\s+(\w+)[ \t]+([^\n]+)", text):
            name, body = m.group(1), m.group(2).strip()
            s = re.fullmatch(r'"([^"]*)"', body)
            if s:
                self.strings[name] = s.group(1)
        for m in re.finditer(r"enum\s+(\w+)\s*\{(.*?)\}\s*;", text, flags=re.S):
            entries = []
            value = -1
            for item in m.group(2).split(","):
                item = item.strip()
                if not item:
                    continue
                if "=" in item:
                    name, expr = (x.strip() for x in item.split("=", 1))
                    value = self.eval(expr)
                else:
                    name = item
                    value += 1
                self.values[name] = value
                entries.append((name, value))
            self.enums.append((m.group(1), entries))
        # Integer defines, evaluated once the enums are known.
        for m in re.finditer(r"#define\s+(\w+)[ \t]+([^\n]+)", text):
            name, body = m.group(1), m.group(2).strip()
            if name in self.strings:
                continue
            try:
                self.values[name] = self.eval(body)
            except (ValueError, SyntaxError, NameError, TypeError):
                pass

    def eval(self, expr):
        if not re.fullmatch(r"[\w\s+\-*/()<>|&~]+", expr):
            raise ValueError(expr)
        expr = " ".join(expr.split())
        names = dict(self.values)
        return int(eval(expr, {"__builtins__": {}}, names))  # noqa: S307

    def enum_containing(self, name):
        for enum_name, entries in self.enums:
            if any(e == name for e, _ in entries):
                return enum_name, entries
        return None, None


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, problems, name):
        self.n += 1
        for p in problems:
            print("# " + p)
        if problems:
            self.failed += 1
            print("not ok %d - spec: %s" % (self.n, name))
        else:
            print("ok %d - spec: %s" % (self.n, name))


def compare_enum(hdr, expected, what):
    """@expected: [(C name, value)] in order; the header must match it."""
    problems = []
    if not expected:
        return ["%s: the spec lists nothing" % what]
    enum_name, entries = hdr.enum_containing(expected[0][0])
    if enum_name is None:
        return ["%s: %s is not in the header" % (what, expected[0][0])]
    actual = [(n, v) for n, v in entries if not n.startswith("__")]
    for i, (name, value) in enumerate(expected):
        if i >= len(actual):
            problems.append("%s: %s = %d missing from enum %s" %
                            (what, name, value, enum_name))
            continue
        a_name, a_value = actual[i]
        if a_name != name:
            problems.append("%s: entry %d is %s in the spec but %s in enum %s" %
                            (what, i, name, a_name, enum_name))
        elif a_value != value:
            problems.append("%s: %s is %d in the spec but %d in the header" %
                            (what, name, value, a_value))
    for a_name, a_value in actual[len(expected):]:
        problems.append("%s: enum %s has %s = %d, which the spec lacks" %
                        (what, enum_name, a_name, a_value))
    return problems


def expected_definition(defn):
    prefix = defn.get("name-prefix", defn["name"] + "-")
    out = []
    value = defn.get("value-start", 0)
    for entry in defn["entries"]:
        name = entry if isinstance(entry, str) else entry["name"]
        if isinstance(entry, dict) and "value" in entry:
            value = entry["value"]
        # Enum entries count up; flags entries count bit numbers.
        out.append((c_name(prefix, name),
                    1 << value if defn["type"] == "flags" else value))
        value += 1
    return out


def expected_list(items, prefix):
    out = []
    value = 0
    for item in items:
        if "value" in item:
            value = item["value"]
        out.append((c_name(prefix, item["name"]), value))
        value += 1
    return out


def check_max(hdr, expected, define, what):
    if define not in hdr.values:
        return ["%s: %s is not defined in the header" % (what, define)]
    if hdr.values[define] != expected[-1][1]:
        return ["%s: %s is %d, the last entry is %d" %
                (what, define, hdr.values[define], expected[-1][1])]
    return []


def check_bounds(spec, hdr):
    """Numeric checks in the spec against the header's named limits."""
    bounds = {
        ("max-message", "min"): "OCKAM_MAX_MESSAGE_MIN",
        ("max-message", "max"): "OCKAM_MAX_MESSAGE_MAX",
        ("hop-limit", "max"): "OCKAM_ROUTE_HOPS_MAX",
        ("dial-timeout", "min"): "OCKAM_DIAL_TIMEOUT_MS_MIN",
        ("dial-timeout", "max"): "OCKAM_DIAL_TIMEOUT_MS_MAX",
        ("udp-datagram", "min"): "OCKAM_UDP_DATAGRAM_MIN",
        ("udp-datagram", "max"): "OCKAM_UDP_DATAGRAM_MAX",
        ("address", "max-len"): "OCKAM_ADDR_VALUE_MAX",
        ("peer", "max-len"): "OCKAM_ADDR_VALUE_MAX",
        ("route", "max-len"): "OCKAM_ROUTE_BYTES_MAX",
    }
    problems = []
    for (attr, check), define in sorted(bounds.items()):
        # Every set's attribute of that name: each must state the bound.
        found = [(aset["name"], a) for aset in spec["attribute-sets"]
                 for a in aset["attributes"] if a["name"] == attr]
        if not found:
            problems.append("attribute %s is not in the spec" % attr)
        want = hdr.values.get(define)
        for set_name, a in found:
            got = a.get("checks", {}).get(check)
            what = "attribute %s/%s" % (set_name, attr)
            if got is None:
                problems.append("%s has no %s check" % (what, check))
            elif want is None:
                problems.append("%s is not defined in the header" % define)
            elif got != want:
                problems.append("%s: %s is %s in the spec, %s = %s" %
                                (what, check, got, define, want))
    return problems


def check_references(spec):
    """Operations name only attributes of their set, events name a group."""
    problems = []
    sets = {s["name"]: {a["name"] for a in s["attributes"]}
            for s in spec["attribute-sets"]}
    groups = {g["name"] for g in spec.get("mcast-groups", {}).get("list", [])}
    for op in spec["operations"]["list"]:
        aset = op.get("attribute-set")
        if aset is None:
            continue
        if aset not in sets:
            problems.append("operation %s: no attribute set %s" % (op["name"], aset))
            continue
        for kind in ("do", "dump"):
            for part in ("request", "reply"):
                for a in op.get(kind, {}).get(part, {}).get("attributes", []):
                    if a not in sets[aset]:
                        problems.append("operation %s %s %s: unknown attribute %s" %
                                        (op["name"], kind, part, a))
        for a in op.get("event", {}).get("attributes", []):
            if a not in sets[aset]:
                problems.append("event %s: unknown attribute %s" % (op["name"], a))
        if "event" in op and op.get("mcgrp") not in groups:
            problems.append("event %s: multicast group %r is not declared" %
                            (op["name"], op.get("mcgrp")))
    for s in spec["attribute-sets"]:
        for a in s["attributes"]:
            nested = a.get("nested-attributes")
            if nested and nested not in sets:
                problems.append("attribute %s: nested set %s does not exist" %
                                (a["name"], nested))
    return problems


def kernel_ops(path):
    """{command: (has doit, has dumpit, admin only)} from kmod/netlink.c."""
    with open(path, encoding="utf-8") as f:
        text = strip_comments(f.read())
    ops = {}
    for block in re.findall(r"\{([^{}]*\.cmd\s*=\s*OCKAM_CMD_\w+[^{}]*)\}", text):
        cmd = re.search(r"\.cmd\s*=\s*(OCKAM_CMD_\w+)", block).group(1)
        ops[cmd] = (".doit" in block, ".dumpit" in block,
                    "GENL_UNS_ADMIN_PERM" in block)
    return ops


def check_kernel_ops(spec, netlink_c):
    """Each do/dump operation is in kmod/netlink.c with the spec's flags."""
    problems = []
    try:
        kernel = kernel_ops(netlink_c)
    except OSError as e:
        return ["cannot read %s: %s" % (netlink_c, e)]
    prefix = spec["operations"]["name-prefix"]
    for op in spec["operations"]["list"]:
        if "do" not in op and "dump" not in op:
            continue
        cmd = c_name(prefix, op["name"])
        if cmd not in kernel:
            problems.append("%s: not in kmod/netlink.c" % cmd)
            continue
        doit, dumpit, admin = kernel[cmd]
        if doit != ("do" in op) or dumpit != ("dump" in op):
            problems.append("%s: do/dump differ from the spec" % cmd)
        if admin != ("uns-admin-perm" in op.get("flags", [])):
            problems.append("%s: GENL_UNS_ADMIN_PERM %s in the kernel, "
                            "uns-admin-perm %s in the spec" %
                            (cmd, "set" if admin else "not set",
                             "set" if not admin else "not set"))
    known = {c_name(prefix, op["name"]) for op in spec["operations"]["list"]}
    for cmd in kernel:
        if cmd not in known:
            problems.append("%s: in kmod/netlink.c, not in the spec" % cmd)
    return problems


def main(argv):
    spec_path = argv[1] if len(argv) > 1 else os.path.join(
        TOP, "Documentation", "netlink", "specs", "ockam.yaml")
    header_path = argv[2] if len(argv) > 2 else os.path.join(
        TOP, "uapi", "linux", "ockam.h")
    tap = Tap()
    try:
        with open(spec_path, encoding="utf-8") as f:
            spec = yaml.safe_load(f)
        hdr = Header(header_path)
    except (OSError, yaml.YAMLError, ValueError, SyntaxError) as e:
        tap.result(["cannot read the inputs: %s" % e], "inputs parse")
        print("1..%d" % tap.n)
        return 1
    tap.result([], "inputs parse")

    problems = []
    if hdr.strings.get("OCKAM_GENL_NAME") != spec["name"]:
        problems.append("family: spec %r, OCKAM_GENL_NAME %r" %
                        (spec["name"], hdr.strings.get("OCKAM_GENL_NAME")))
    for g in spec.get("mcast-groups", {}).get("list", []):
        define = c_name("ockam-genl-mcgrp-", g["name"])
        if hdr.strings.get(define) != g["name"]:
            problems.append("multicast group %s: %s is %r" %
                            (g["name"], define, hdr.strings.get(define)))
    tap.result(problems, "family and multicast group names")

    for defn in spec.get("definitions", []):
        if defn.get("type") not in ("enum", "flags"):
            continue
        expected = expected_definition(defn)
        what = "definition %s" % defn["name"]
        problems = compare_enum(hdr, expected, what)
        if defn["type"] == "flags":
            all_name = "__" + c_name(defn.get("name-prefix", ""), "all")
            want = (1 << len(expected)) - 1
            if hdr.values.get(all_name) != want:
                problems.append("%s: %s is %s, expected %d" %
                                (what, all_name, hdr.values.get(all_name), want))
        tap.result(problems, what)

    for aset in spec["attribute-sets"]:
        expected = expected_list(aset["attributes"], aset["name-prefix"])
        what = "attribute set %s" % aset["name"]
        problems = compare_enum(hdr, expected, what)
        problems += check_max(hdr, expected,
                              c_name(aset["name-prefix"], "max"), what)
        tap.result(problems, what)

    ops = spec["operations"]
    expected = expected_list(ops["list"], ops["name-prefix"])
    problems = compare_enum(hdr, expected, "operations")
    problems += check_max(hdr, expected, c_name(ops["name-prefix"], "max"),
                          "operations")
    tap.result(problems, "operations")

    tap.result(check_bounds(spec, hdr), "attribute bounds match header limits")
    tap.result(check_references(spec), "operations reference declared attributes")
    tap.result(check_kernel_ops(spec, os.path.join(TOP, "kmod", "netlink.c")),
               "operations and their permissions match kmod/netlink.c")

    print("1..%d" % tap.n)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
