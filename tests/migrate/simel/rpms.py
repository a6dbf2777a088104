"""Tiny noarch RPMs: many packages from one generated spec, one rpmsign call.

One rpmbuild per package costs ~0.1 s of start-up; one spec whose
subpackages each set their own Version/Release/Vendor builds 500 packages in
about 3 s (rpm 4.18 writes subpackages in parallel).
"""

import shutil
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ._proc import run


@dataclass(frozen=True)
class Symlink:
    target: str


@dataclass
class Package:
    """What one binary package contains and declares."""
    name: str
    version: str
    release: str
    vendor: str
    epoch: int | None = None
    summary: str = ""
    provides: list = field(default_factory=list)
    requires: list = field(default_factory=list)
    obsoletes: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    files: dict = field(default_factory=dict)     # path -> str | bytes | Symlink
    config: set = field(default_factory=set)      # paths marked %config(noreplace)
    dirs: list = field(default_factory=list)      # directories the package owns
    scriptlets: dict = field(default_factory=dict)  # "pre" / "pre -p <lua>" -> body
    url: str = ""
    packager: str = ""

    @property
    def evr(self):
        prefix = f"{self.epoch}:" if self.epoch is not None else ""
        return f"{prefix}{self.version}-{self.release}"

    @property
    def filename(self):
        return f"{self.name}-{self.version}-{self.release}.noarch.rpm"


def _spec_text(batch, packages, stage):
    out = [
        f"Name: {batch}", "Version: 0", "Release: 0",
        "Summary: simulated EL package batch", "License: MIT",
        "BuildArch: noarch", "AutoReqProv: no",
        "%global __spec_install_post %{nil}",
        "%global debug_package %{nil}",
        "%global _build_id_links none",
        "%global _binary_payload w1.gzdio",
        "%description", "Batch of simulated packages (no main package).", "",
    ]
    for p in packages:
        out += [f"%package -n {p.name}", f"Version: {p.version}",
                f"Release: {p.release}", f"Vendor: {p.vendor}",
                f"Summary: {p.summary or p.name + ' (simulated)'}"]
        if p.epoch is not None:
            out.append(f"Epoch: {p.epoch}")
        if p.url:
            out.append(f"URL: {p.url}")
        if p.packager:
            out.append(f"Packager: {p.packager}")
        for tag, values in (("Provides", p.provides), ("Requires", p.requires),
                            ("Obsoletes", p.obsoletes), ("Conflicts", p.conflicts)):
            out += [f"{tag}: {v}" for v in values]
        out += [f"%description -n {p.name}", f"Simulated package {p.name}.", ""]
        for kind, body in p.scriptlets.items():
            # kind: "pre", "post", ... optionally with options ("pre -p <lua>")
            section, _, options = kind.partition(" ")
            out += [f"%{section} -n {p.name} {options}".rstrip(), body.rstrip("\n"), ""]
    out += ["%install", "mkdir -p %{buildroot}", f"cp -a {stage}/. %{{buildroot}}/", ""]
    for p in packages:
        out.append(f"%files -n {p.name}")
        out += [f"%dir {d}" for d in p.dirs]
        for path in sorted(p.files):
            out.append(f"%config(noreplace) {path}" if path in p.config else path)
        out.append("")
    return "\n".join(out) + "\n"


def _stage(packages, stage):
    owner = {}
    for p in packages:
        for d in p.dirs:
            (stage / d.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for path, content in p.files.items():
            if path in owner:
                raise ValueError(f"{path} in both {owner[path]} and {p.name}")
            owner[path] = p.name
            dest = stage / path.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Symlink):
                dest.symlink_to(content.target)
            elif isinstance(content, bytes):
                dest.write_bytes(content)
            else:
                dest.write_text(content)


def build(home, packages, outdir, batch="simel-batch"):
    """Build every package of `packages` with one rpmbuild; return name -> path."""
    packages = list(packages)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    work = home.topdir / "batches" / batch
    if work.exists():
        shutil.rmtree(work)
    stage, rpms = work / "stage", work / "RPMS"
    stage.mkdir(parents=True)
    _stage(packages, stage)
    spec = work / f"{batch}.spec"
    spec.write_text(_spec_text(batch, packages, stage))
    home.run(["rpmbuild", "-bb", "--quiet", "--define", f"_rpmdir {rpms}",
              "--define", f"_builddir {work / 'BUILD'}",
              "--define", f"_buildrootdir {work / 'BUILDROOT'}", spec])
    built = {}
    for p in packages:
        src = rpms / "noarch" / p.filename
        dest = outdir / p.filename
        shutil.move(src, dest)
        built[p.name] = dest
    shutil.rmtree(work)
    return built


def sign(home, key, paths):
    """Sign all `paths` with `key` in one rpmsign call (in place)."""
    paths = [str(p) for p in paths]
    if paths:
        home.run(["rpmsign", "--define", f"_gpg_name {key.fingerprint}",
                  "--addsign", *paths])


def _header_size(data, offset):
    magic = data[offset:offset + 3]
    if magic != b"\x8e\xad\xe8":
        raise ValueError(f"no rpm header at offset {offset}")
    il, dl = struct.unpack(">II", data[offset + 8:offset + 16])
    return 16 + il * 16 + dl


def payload_offset(path):
    """Byte offset of the (compressed) payload: lead, signature, header."""
    data = Path(path).read_bytes()
    offset = 96
    offset += _header_size(data, offset)
    offset += (-offset) % 8  # the signature header is padded to 8 bytes
    offset += _header_size(data, offset)
    return offset


def tamper(path):
    """Flip one byte in the middle of the payload (the signature stays)."""
    path = Path(path)
    data = bytearray(path.read_bytes())
    start = payload_offset(path)
    index = start + (len(data) - start) // 2
    data[index] ^= 0xFF
    path.write_bytes(bytes(data))
    return index


def createrepo(directory):
    """Index `directory` (repodata/ next to the packages)."""
    run(["createrepo_c", "--quiet", "--no-database",
         str(directory)])


def add_modules(directory, modulemd_text):
    """Attach modules.yaml (modulemd documents) to an indexed repository."""
    directory = Path(directory)
    source = directory / "modules.yaml"
    source.write_text(modulemd_text)
    try:
        run(["modifyrepo_c", "--mdtype=modules", str(source),
             str(directory / "repodata")])
    finally:
        source.unlink()
