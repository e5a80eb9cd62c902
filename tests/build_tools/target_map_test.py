# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Tests of build_tools/target_map.py: the fragments, --check, the expansion in
Python, CMake and Starlark, and the map's facts against clang-22 where it is
installed. Standard library only; run with `python3 -m unittest` or through CTest.

Environment (CTest sets them; the defaults suit a checkout):
  DEVBIN_SOURCE_DIR  the repository root (default: two levels above this file)
  DEVBIN_CMAKE       cmake to run the CMake expansion with (default: cmake on PATH)
  DEVBIN_CLANG       clang for the empirical checks (default: clang-22 on PATH)
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = pathlib.Path(os.environ.get("DEVBIN_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
SCRIPT = SOURCE_DIR / "build_tools" / "target_map.py"
FRAGMENTS = ["target_map.inl", "target_map.cmake", "target_map.bzl"]


def _load_module():
    spec = importlib.util.spec_from_file_location("target_map", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["target_map"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


tm = _load_module()


def _run(*args: str, cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=False)


def _every_selector() -> list[str]:
    selectors = list(tm.AMDGPU_FAMILIES)
    selectors += [c.name for c in tm.AMDGPU_CODE_OBJECTS]
    selectors += [p.name for p in tm.AMDGPU_PROCESSORS]
    selectors += [u.name for u in tm.AMDGPU_UNSUPPORTED]
    selectors += ["gfx1100,gfx90X-all;igpu-all", " gfx942 ; gfx950 ", "nope", "gfx940;gfx90a", ";"]
    return list(dict.fromkeys(selectors))


def _python_expansion(selector: str) -> tuple[list[str], list[str]] | None:
    try:
        processors = tm.expand_amdgpu_targets(selector)
    except ValueError:
        return None
    return processors, tm.code_objects_for(processors)


class CheckTest(unittest.TestCase):
    """--check on a copy of the tree: current passes, a hand edit fails naming the file."""

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="target_map_test."))
        self.addCleanup(shutil.rmtree, self.tmp)
        shutil.copytree(SOURCE_DIR / "build_tools", self.tmp / "build_tools",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (self.tmp / "device" / "binaries").mkdir(parents=True)
        for name in FRAGMENTS:
            shutil.copy2(SOURCE_DIR / "device" / "binaries" / name, self.tmp / "device" / "binaries" / name)
        self.script = self.tmp / "build_tools" / "target_map.py"

    def test_checked_in_fragments_are_current(self):
        result = _run(str(self.script), "--check")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout + result.stderr, "")

    def test_hand_edit_is_named(self):
        for edited in FRAGMENTS:
            with self.subTest(edited=edited):
                path = self.tmp / "device" / "binaries" / edited
                original = path.read_bytes()
                path.write_bytes(original.replace(b"gfx1151", b"gfx1159", 1))
                self.assertNotEqual(path.read_bytes(), original)
                result = _run(str(self.script), "--check")
                self.assertEqual(result.returncode, 1)
                self.assertIn(f"device/binaries/{edited}", result.stderr)
                for other in FRAGMENTS:
                    if other != edited:
                        self.assertNotIn(f"device/binaries/{other}", result.stderr)
                path.write_bytes(original)

    def test_missing_fragment_is_named(self):
        (self.tmp / "device" / "binaries" / "target_map.bzl").unlink()
        result = _run(str(self.script), "--check")
        self.assertEqual(result.returncode, 1)
        self.assertIn("device/binaries/target_map.bzl", result.stderr)

    def test_generation_is_deterministic_and_repairs(self):
        path = self.tmp / "device" / "binaries" / "target_map.inl"
        path.write_text("// stale\n")
        first = _run(str(self.script))
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("wrote device/binaries/target_map.inl", first.stdout)
        generated = {name: (self.tmp / "device" / "binaries" / name).read_bytes() for name in FRAGMENTS}
        second = _run(str(self.script))
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(second.stdout, "")  # nothing rewritten
        for name in FRAGMENTS:
            self.assertEqual((self.tmp / "device" / "binaries" / name).read_bytes(), generated[name], name)
            self.assertEqual(generated[name], (SOURCE_DIR / "device" / "binaries" / name).read_bytes(), name)
        self.assertEqual(_run(str(self.script), "--check").returncode, 0)

    def test_fragments_carry_the_header(self):
        for name in FRAGMENTS:
            first, second = (self.tmp / "device" / "binaries" / name).read_text().splitlines()[:2]
            self.assertIn("SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception", first, name)
            self.assertIn("Generated by build_tools/target_map.py. Do not edit", second, name)


class ExpandTest(unittest.TestCase):
    def test_igpu_family(self):
        self.assertEqual(tm.expand_amdgpu_targets("gfx110X-igpu"), ["gfx1103"])
        self.assertEqual(tm.code_objects_for(["gfx1103"]), ["gfx11-generic"])

    def test_dgpu_all_has_gfx906(self):
        self.assertIn("gfx906", tm.expand_amdgpu_targets("dgpu-all"))
        self.assertNotIn("gfx1103", tm.expand_amdgpu_targets("dgpu-all"))

    def test_igpus(self):
        igpus = tm.expand_amdgpu_targets("igpu-all")
        for name in ["gfx1035", "gfx1036", "gfx1103", "gfx1150", "gfx1151", "gfx1152", "gfx1153"]:
            self.assertIn(name, igpus)

    def test_every_gfx9_and_later_processor_is_served(self):
        self.assertEqual(tm.expand_amdgpu_targets("dcgpu-all"), ["gfx908", "gfx90a", "gfx942", "gfx950"])
        self.assertEqual(tm.code_objects_for(tm.expand_amdgpu_targets("gfx90X-all")),
                         ["gfx9-generic", "gfx908", "gfx90a"])
        self.assertEqual(tm.code_objects_for(["gfx1250", "gfx1251"]), ["gfx1250", "gfx1251"])
        # Only GFX6-GFX8 and the pre-production MI300 parts LLVM removed are left out.
        self.assertEqual([u.name for u in tm.AMDGPU_UNSUPPORTED if u.reason != tm._PRE_GFX9], ["gfx940", "gfx941"])

    def test_unsupported_alone_is_an_error_with_the_reason(self):
        with self.assertRaises(ValueError) as caught:
            tm.expand_amdgpu_targets("gfx940")
        self.assertIn("gfx940", str(caught.exception))
        self.assertIn(tm._UNSUPPORTED_BY_NAME["gfx940"].reason, str(caught.exception))
        with self.assertRaises(ValueError):
            tm.expand_amdgpu_targets("gfx942;gfx941")

    def test_unknown_selector_lists_known_ones(self):
        with self.assertRaises(ValueError) as caught:
            tm.expand_amdgpu_targets("gfx110X-all;gfx110x-all")
        message = str(caught.exception)
        self.assertIn("'gfx110x-all'", message)
        for known in ["gfx110X-all", "gfx94X-dcgpu", "dgpu-all", "igpu-all", "all", "gfx11-generic", "gfx1151"]:
            self.assertIn(known, message)

    def test_order_and_duplicates(self):
        self.assertEqual(tm.expand_amdgpu_targets(" gfx1101 ,gfx90a;gfx110X-dgpu;;gfx90a"),
                         ["gfx90a", "gfx1100", "gfx1101", "gfx1102"])
        every = tm.expand_amdgpu_targets("all")
        self.assertEqual(every, [p.name for p in tm.AMDGPU_PROCESSORS])
        self.assertEqual(tm.code_objects_for(every), [c.name for c in tm.AMDGPU_CODE_OBJECTS])

    def test_code_object_names_select_what_they_cover(self):
        self.assertEqual(tm.expand_amdgpu_targets("gfx9-4-generic"), ["gfx942", "gfx950"])
        self.assertEqual(tm.expand_amdgpu_targets("gfx90a"), ["gfx90a"])

    def test_empty_is_an_error(self):
        for text in ["", " ; , "]:
            with self.assertRaises(ValueError):
                tm.expand_amdgpu_targets(text)

    def test_code_objects_for_rejects_unknown_processors(self):
        with self.assertRaises(ValueError):
            tm.code_objects_for(["gfx940"])

    def test_cli(self):
        result = _run(str(SCRIPT), "--expand", "gfx110X-all;gfx942")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, "gfx9-4-generic\ngfx11-generic\n")
        result = _run(str(SCRIPT), "--expand-processors", "gfx94X-all")
        self.assertEqual(result.stdout, "gfx942\n")
        result = _run(str(SCRIPT), "--expand", "gfx941")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "")
        self.assertIn("gfx941", result.stderr)
        self.assertEqual(_run(str(SCRIPT), "--help").returncode, 0)


class MapFactsTest(unittest.TestCase):
    def test_therock_vocabulary(self):
        families = tm.AMDGPU_FAMILIES
        for selector in ["gfx90X-all", "gfx90X-dgpu", "gfx90X-dcgpu", "gfx94X-all", "gfx94X-dcgpu", "gfx950-all",
                         "gfx950-dcgpu", "gfx101X-all", "gfx101X-dgpu", "gfx103X-all", "gfx103X-dgpu",
                         "gfx103X-igpu", "gfx110X-all", "gfx110X-dgpu", "gfx110X-igpu", "gfx115X-all",
                         "gfx115X-igpu", "gfx120X-all", "dgpu-all", "dcgpu-all", "igpu-all", "all"]:
            self.assertIn(selector, families)
        self.assertEqual(families["dcgpu-all"], ["gfx908", "gfx90a", "gfx942", "gfx950"])
        self.assertEqual(families["gfx115X-igpu"], ["gfx1150", "gfx1151", "gfx1152", "gfx1153"])
        for processor in ["gfx906", "gfx908", "gfx1035", "gfx1201"]:
            self.assertEqual(families[processor], [processor])

    def test_kinds_follow_family_membership(self):
        kinds = {p.name: p.kind for p in tm.AMDGPU_PROCESSORS}
        for kind in tm.KINDS:
            for name in tm.AMDGPU_FAMILIES[f"{kind}-all"]:
                if name in kinds:
                    self.assertEqual(kinds[name], kind, name)

    def test_generic_coverage_matches_amdgpuusage(self):
        # LLVM AMDGPUUsage, "AMDGPU Generic Processors", less gfx940/gfx941 (gone since LLVM 21).
        covered = {
            "gfx9-generic": ["gfx900", "gfx902", "gfx904", "gfx906", "gfx909", "gfx90c"],
            "gfx90a": ["gfx90a"],
            "gfx9-4-generic": ["gfx942", "gfx950"],
            "gfx10-1-generic": ["gfx1010", "gfx1011", "gfx1012", "gfx1013"],
            "gfx10-3-generic": ["gfx1030", "gfx1031", "gfx1032", "gfx1033", "gfx1034", "gfx1035", "gfx1036"],
            "gfx11-generic": ["gfx1100", "gfx1101", "gfx1102", "gfx1103", "gfx1150", "gfx1151", "gfx1152",
                              "gfx1153"],
            "gfx12-generic": ["gfx1200", "gfx1201"],
        }
        self.assertEqual({c: tm.expand_amdgpu_targets(c) for c in covered}, covered)

    def test_nvidia(self):
        self.assertEqual([n.name for n in tm.NVIDIA_TARGETS if not n.ptx],
                         ["sm_75", "sm_80", "sm_86", "sm_89", "sm_90", "sm_100", "sm_120"])
        self.assertEqual([(n.name, n.major, n.minor) for n in tm.NVIDIA_TARGETS if n.ptx], [("compute_75", 7, 5)])
        for n in tm.NVIDIA_TARGETS:
            self.assertTrue(n.name.endswith(f"_{n.major * 10 + n.minor}"), n.name)


@unittest.skipUnless(shutil.which(os.environ.get("DEVBIN_CMAKE", "cmake")), "cmake not found")
class CMakeExpansionTest(unittest.TestCase):
    """devbin_expand_amdgpu_targets() in target_map.cmake agrees with Python."""

    def run_cmake(self, selectors: list[str]) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory() as tmp:
            script = pathlib.Path(tmp) / "expand.cmake"
            lines = [f'include("{(SOURCE_DIR / "device" / "binaries" / "target_map.cmake").as_posix()}")']
            for index, selector in enumerate(selectors):
                lines.append(f'devbin_expand_amdgpu_targets(co pr "{selector}")')
                lines.append(f'message(STATUS "result {index}: ${{pr}} | ${{co}}")')
            script.write_text("\n".join(lines) + "\n")
            result = subprocess.run([os.environ.get("DEVBIN_CMAKE", "cmake"), "-P", str(script)],
                                    capture_output=True, text=True, check=False)
        return result

    def test_agrees_with_python(self):
        good = [s for s in _every_selector() if _python_expansion(s) is not None]
        result = self.run_cmake(good)
        self.assertEqual(result.returncode, 0, result.stderr)
        got = {}
        for line in result.stdout.splitlines():
            if line.startswith("-- result "):
                index, _, rest = line[len("-- result "):].partition(": ")
                processors, _, code_objects = rest.partition(" | ")
                got[good[int(index)]] = (processors.split(";"), code_objects.split(";"))
        self.assertEqual(got, {s: _python_expansion(s) for s in good})

    def test_errors(self):
        for selector, needle in [("nope", "unknown AMDGPU target 'nope'"), ("gfx940", "gfx940: pre-production MI300"),
                                 ("", "no AMDGPU target given")]:
            with self.subTest(selector=selector):
                result = self.run_cmake([selector])
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(needle, " ".join(result.stderr.split()))
        self.assertIn("gfx110X-all", self.run_cmake(["nope"]).stderr)


class StarlarkExpansionTest(unittest.TestCase):
    """target_map.bzl, run as Python (its Starlark is a subset), agrees with the script."""

    @classmethod
    def setUpClass(cls):
        class Fail(Exception):
            pass

        def fail(message):
            raise Fail(message)

        cls.Fail = Fail
        cls.bzl = {"fail": fail}
        exec(compile((SOURCE_DIR / "device" / "binaries" / "target_map.bzl").read_text(), "target_map.bzl", "exec"),
             cls.bzl)

    def test_agrees_with_python(self):
        for selector in _every_selector():
            with self.subTest(selector=selector):
                expected = _python_expansion(selector)
                if expected is None:
                    with self.assertRaises(self.Fail):
                        self.bzl["expand_amdgpu_targets"](selector)
                    continue
                processors = self.bzl["expand_amdgpu_targets"](selector)
                self.assertEqual((processors, self.bzl["amdgpu_code_objects_for"](processors)), expected)
        self.assertEqual(self.bzl["expand_amdgpu_targets"](["gfx1100", "gfx90a"]), ["gfx90a", "gfx1100"])

    def test_data(self):
        self.assertEqual(list(self.bzl["AMDGPU_CODE_OBJECTS"]), [c.name for c in tm.AMDGPU_CODE_OBJECTS])
        self.assertEqual(self.bzl["AMDGPU_PROCESSORS"]["gfx1151"]["code_object"], "gfx11-generic")
        self.assertEqual(self.bzl["NVIDIA_PTX_TARGETS"], ["compute_75"])


def _find_clang() -> str | None:
    return shutil.which(os.environ.get("DEVBIN_CLANG", "clang-22"))


@unittest.skipUnless(_find_clang(), "clang-22 not found (set DEVBIN_CLANG)")
class ClangFactsTest(unittest.TestCase):
    """The map's machs, features and generic versions are what clang-22 writes into e_flags."""

    @staticmethod
    def e_flags(clang: str, cpu: str, workdir: pathlib.Path) -> int | None:
        source = workdir / "k.c"
        if not source.exists():
            source.write_text('__attribute__((amdgpu_kernel, visibility("default"))) void k(int* p) { *p = 1; }\n')
        obj = workdir / f"{cpu}.o"
        result = subprocess.run([clang, "-x", "c", "-target", "amdgcn-amd-amdhsa", f"-mcpu={cpu}", "-nogpulib",
                                 "-ffreestanding", "-O1", "-mcode-object-version=6", "-c", str(source), "-o", str(obj)],
                                capture_output=True, check=False)
        if result.returncode != 0:
            return None
        header = obj.read_bytes()[:64]
        return int.from_bytes(header[48:52], "little")  # ELF64 e_flags

    def test_e_flags(self):
        clang = _find_clang()
        rows = [(c.name, c.mach, c.xnack, c.sramecc, c.generic_version) for c in tm.AMDGPU_CODE_OBJECTS]
        rows += [(p.name, p.mach, p.xnack, p.sramecc, 0) for p in tm.AMDGPU_PROCESSORS]
        with tempfile.TemporaryDirectory() as tmp:
            for name, mach, xnack, sramecc, generic_version in rows:
                with self.subTest(cpu=name):
                    flags = self.e_flags(clang, name, pathlib.Path(tmp))
                    self.assertIsNotNone(flags, f"{clang} cannot build {name}")
                    self.assertEqual(flags & 0xFF, mach)
                    self.assertEqual(flags & 0x300, 0x100 if xnack else 0)  # "any" when supported
                    self.assertEqual(flags & 0xC00, 0x400 if sramecc else 0)
                    self.assertEqual(flags >> 24, generic_version)
            for u in tm.AMDGPU_UNSUPPORTED:
                with self.subTest(cpu=u.name):
                    flags = self.e_flags(clang, u.name, pathlib.Path(tmp))
                    if flags is not None:  # gfx940/gfx941 are gone from clang-22
                        self.assertEqual(flags & 0xFF, u.mach)

    def test_every_gfx9_to_gfx12_processor_clang_knows_is_mapped(self):
        result = subprocess.run([_find_clang(), "--print-supported-cpus", "-target", "amdgcn-amd-amdhsa"],
                                capture_output=True, text=True, check=False)
        known = {word for word in (result.stdout + result.stderr).split()
                 if word.startswith("gfx") and not word.endswith("-generic")}
        self.assertTrue(known, result.stderr)
        mapped = {p.name for p in tm.AMDGPU_PROCESSORS} | {u.name for u in tm.AMDGPU_UNSUPPORTED}
        self.assertEqual(sorted(known - mapped), [])
        generics = {word for word in (result.stdout + result.stderr).split() if word.endswith("-generic")}
        self.assertTrue({c.name for c in tm.AMDGPU_CODE_OBJECTS if c.generic_version} <= generics)


if __name__ == "__main__":
    unittest.main()
