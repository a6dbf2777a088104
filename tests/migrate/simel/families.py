"""The simulated systems: source families, unsupported systems, AlmaLinux.

Real EL package names, os-release contents and repository files (pointing to
the real, for the tests unreachable, URLs), tiny payloads. Each family builds
its packages from the throwaway key it is signed with, so the key files the
packages ship are the keys that really signed them.
"""

from dataclasses import dataclass, field

from .rpms import Package, Symlink

# Ordinary packages every simulated system has, per major, and what the
# AlmaLinux mirror holds for each (see ordinary_packages()).
NEWER = "simel-newer"        # AlmaLinux has a newer version -> upgrade
OLDER = "simel-older"        # AlmaLinux has an older version -> downgrade
REBUILT = "simel-rebuilt"    # same version, other vendor and content -> reinstall
COMMON_PREFIX = "simel-common-"  # same NEVRA, AlmaLinux vendor and signature
MIN_ORDINARY = 4

ALMA_VERSIONS = {8: ("8.10", "Cerulean Leopard"), 9: ("9.8", "Olive Jaguar"),
                 10: ("10.2", "Lavender Lion")}
ALMA_VENDOR = "AlmaLinux"
ALMA_PACKAGER = "AlmaLinux Packaging Team <packager@almalinux.org>"
# Module streams on the AlmaLinux mirror, per major.
ALMA_MODULES = {8: lambda: [virt_module("rhel", ALMA_VENDOR,
                                        "1.module_el8.10.0+3945+2b1a5a4b")]}


@dataclass
class Module:
    """One EL8 module stream and the packages it carries."""
    name: str
    stream: str
    packages: list
    version: str = "8100020240501000000"
    context: str = "229f0a1c"

    def modulemd(self, arch):
        """The modulemd v2 document createrepo metadata carries (modules.yaml)."""
        artifacts = "".join(
            f"    - {p.name}-{p.epoch or 0}:{p.version}-{p.release}.noarch\n"
            for p in self.packages)
        names = ", ".join(p.name for p in self.packages)
        return (
            "---\ndocument: modulemd\nversion: 2\ndata:\n"
            f"  name: {self.name}\n  stream: \"{self.stream}\"\n"
            f"  version: {self.version}\n  context: \"{self.context}\"\n"
            f"  arch: {arch}\n  summary: {self.name} module (simulated)\n"
            f"  description: >-\n    Simulated {self.name}:{self.stream} module stream.\n"
            "  license:\n    module: [MIT]\n"
            "  dependencies:\n  - buildrequires:\n      platform: [el8.10.0]\n"
            "    requires:\n      platform: [el8]\n"
            f"  profiles:\n    common:\n      rpms: [{names}]\n"
            f"  api:\n    rpms: [{names}]\n"
            f"  artifacts:\n    rpms:\n{artifacts}...\n")


def module_package(name, version, release, vendor, **kw):
    return Package(name, version, release, vendor,
                   files={f"/usr/share/{name}/README": f"{name} {version}-{release}\n"},
                   dirs=[f"/usr/share/{name}"], **kw)


def virt_module(stream, vendor, release):
    """EL8's virt module: OL8 names its stream "ol", AlmaLinux (like RHEL) "rhel"."""
    return Module("virt", stream, [module_package("simel-virt", "8.0.0", release, vendor)])


@dataclass
class Family:
    """One simulated system type (the `key` is what tests name)."""
    key: str
    major: int
    os_release: dict
    vendor: str = ""
    signing_key: str = ""          # Keyring key name
    supported: bool = True
    rpm_based: bool = True
    release_builder: object = None  # (family, key, arch) -> [Package]
    # Files owned by no package (RHEL's redhat.repo, which
    # subscription-manager writes): (family, arch) -> {path: content}.
    loose_builder: object = None
    modules: list = field(default_factory=list)   # [Module] enabled in the root

    @property
    def version_id(self):
        return self.os_release["VERSION_ID"]

    def release_packages(self, key, arch):
        return self.release_builder(self, key, arch) if self.release_builder else []

    def loose_files(self, arch):
        return self.loose_builder(self, arch) if self.loose_builder else {}

    def os_release_text(self):
        return "".join(f'{k}="{v}"\n' for k, v in self.os_release.items())


def os_release(name, version, id_, id_like, version_id, platform, pretty,
               cpe, home, **extra):
    fields = {"NAME": name, "VERSION": version, "ID": id_}
    if id_like:
        fields["ID_LIKE"] = id_like
    fields.update({"VERSION_ID": version_id, "PLATFORM_ID": platform,
                   "PRETTY_NAME": pretty, "ANSI_COLOR": "0;31",
                   "CPE_NAME": cpe, "HOME_URL": home})
    fields.update(extra)
    return fields


def repo_section(repo_id, name, source, gpgkey, enabled=True, extra=()):
    """One [repo] section; `source` is the baseurl/mirrorlist/metalink lines."""
    lines = [f"[{repo_id}]", f"name={name}", *source, "gpgcheck=1",
             f"enabled={1 if enabled else 0}", f"gpgkey={gpgkey}", *extra]
    return "\n".join(lines) + "\n"


def release_files(family, release_file, release_text):
    """os-release + the EL release-file symlink farm every family ships."""
    cpe = family.os_release["CPE_NAME"]
    files = {
        "/usr/lib/os-release": family.os_release_text(),
        "/etc/os-release": Symlink("../usr/lib/os-release"),
        release_file: release_text + "\n",
        "/etc/system-release-cpe": cpe + "\n",
        "/etc/issue": "\\S\nKernel \\r on an \\m\n\n",
        "/etc/issue.net": "\\S\nKernel \\r on an \\m\n",
    }
    if release_file != "/etc/redhat-release":
        files["/etc/redhat-release"] = Symlink(release_file.rsplit("/", 1)[1])
    files["/etc/system-release"] = Symlink(release_file.rsplit("/", 1)[1])
    return files


def release_provides(family, version, with_redhat=True):
    provides = [f"system-release = {version}",
                f"system-release(releasever) = {family.major}",
                f"base-module(platform:el{family.major})"]
    if with_redhat:
        provides.append(f"redhat-release = {version}")
    return provides


def logos(family, name, version, release):
    return Package(
        name=name, version=version, release=release, vendor=family.vendor,
        provides=["system-logos", f"system-logos = {version}"],
        files={"/usr/share/pixmaps/system-logo-white.png": f"{name} logo\n",
               f"/usr/share/{name}/README": f"{name} {version}\n"},
        dirs=[f"/usr/share/{name}"])


def key_file(key):
    return key.public_key.read_text()


# ---------------------------------------------------------------- CentOS

def _centos_linux_8(family, key, arch):
    gpgkey = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial"
    rel = "1.2111.el8"

    def mirrorlist(repo, enabled=True):
        return repo_section(
            repo.lower(), f"CentOS Linux $releasever - {repo}",
            [f"mirrorlist=http://mirrorlist.centos.org/?release=$releasever"
             f"&arch=$basearch&repo={repo}&infra=$infra",
             f"#baseurl=http://mirror.centos.org/$contentdir/$releasever/{repo}/$basearch/os/"],
            gpgkey, enabled)

    repos = {f"/etc/yum.repos.d/CentOS-Linux-{r}.repo": mirrorlist(r, r != "PowerTools")
             for r in ("BaseOS", "AppStream", "PowerTools", "Extras")}
    repos["/etc/dnf/vars/contentdir"] = "centos\n"
    repos["/etc/dnf/vars/infra"] = "stock\n"
    return [
        Package("centos-linux-release", "8.5", rel, family.vendor,
                provides=["centos-release = 8.5", *release_provides(family, "8.5")],
                requires=["centos-linux-repos"],
                files=release_files(family, "/etc/centos-release",
                                    "CentOS Linux release 8.5.2111")),
        Package("centos-linux-repos", "8", "3.el8", family.vendor,
                provides=["centos-repos(8)"], requires=["centos-gpg-keys"],
                files=repos, config=set(repos)),
        Package("centos-gpg-keys", "8", "3.el8", family.vendor,
                files={"/etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial": key_file(key)}),
        logos(family, "centos-logos", "85.8", "2.el8"),
    ]


def _centos_stream_8(family, key, arch):
    gpgkey = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial"

    def mirrorlist(repo, enabled=True):
        return repo_section(
            repo.lower(), f"CentOS Stream $releasever - {repo}",
            [f"mirrorlist=http://mirrorlist.centos.org/?release=$stream"
             f"&arch=$basearch&repo={repo}&infra=$infra",
             f"#baseurl=http://mirror.centos.org/$contentdir/$stream/{repo}/$basearch/os/"],
            gpgkey, enabled)

    repos = {f"/etc/yum.repos.d/CentOS-Stream-{r}.repo": mirrorlist(r, r != "PowerTools")
             for r in ("BaseOS", "AppStream", "PowerTools", "Extras")}
    repos.update({"/etc/dnf/vars/stream": "8-stream\n",
                  "/etc/dnf/vars/contentdir": "centos\n",
                  "/etc/dnf/vars/infra": "stock\n"})
    return [
        Package("centos-stream-release", "8.6", "1.el8", family.vendor,
                provides=["centos-release = 8.6", *release_provides(family, "8.6")],
                requires=["centos-stream-repos"],
                files=release_files(family, "/etc/centos-release", "CentOS Stream release 8")),
        Package("centos-stream-repos", "8", "6.el8", family.vendor,
                provides=["centos-repos(8)"], requires=["centos-gpg-keys"],
                files=repos, config=set(repos)),
        Package("centos-gpg-keys", "8", "6.el8", family.vendor,
                files={"/etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial": key_file(key)}),
        logos(family, "centos-logos", "85.8", "2.el8"),
    ]


def _centos_stream_9_10(family, key, arch):
    major = family.major
    gpgkey = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial"
    ver, rel = ("9.0", "26.el9") if major == 9 else ("10.0", "12.el10")

    def metalink(repo_id, label, enabled=True):
        return repo_section(
            repo_id, f"CentOS Stream {major} - {label}",
            [f"metalink=https://mirrors.centos.org/metalink?repo=centos-{repo_id}-$stream"
             "&arch=$basearch&protocol=https,http"],
            gpgkey, enabled, ["repo_gpgcheck=0", "metadata_expire=6h", "countme=1"])

    repos = {
        "/etc/yum.repos.d/centos.repo": "\n".join(
            [metalink("baseos", "BaseOS"), metalink("appstream", "AppStream"),
             metalink("crb", "CRB", enabled=False)]),
        "/etc/yum.repos.d/centos-addons.repo": metalink("extras-common", "Extras packages"),
        "/etc/dnf/vars/stream": f"{major}-stream\n",
    }
    return [
        Package("centos-stream-release", ver, rel, family.vendor,
                provides=[f"centos-release = {ver}", *release_provides(family, ver)],
                requires=["centos-stream-repos"],
                files=release_files(family, "/etc/centos-release",
                                    f"CentOS Stream release {major}")),
        Package("centos-stream-repos", ver, rel, family.vendor,
                provides=[f"centos-repos({major})"], requires=["centos-gpg-keys"],
                files=repos, config=set(repos)),
        Package("centos-gpg-keys", ver, rel, family.vendor,
                files={"/etc/pki/rpm-gpg/RPM-GPG-KEY-centosofficial": key_file(key)}),
        logos(family, "centos-logos", f"{major}0.2", f"1.el{major}"),
    ]


def _centos_7(family, key, arch):
    gpgkey = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-7"
    base = "\n".join(repo_section(
        r, f"CentOS-$releasever - {r.title()}",
        [f"mirrorlist=http://mirrorlist.centos.org/?release=$releasever&arch=$basearch&repo={r}",
         f"#baseurl=http://mirror.centos.org/centos/$releasever/{r}/$basearch/"],
        gpgkey) for r in ("os", "updates", "extras"))
    files = release_files(family, "/etc/centos-release", "CentOS Linux release 7.9.2009 (Core)")
    files["/etc/yum.repos.d/CentOS-Base.repo"] = base
    files["/etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-7"] = key_file(key)
    return [
        Package("centos-release", "7", "9.2009.1.el7.centos", family.vendor,
                provides=["centos-release = 7", "system-release = 7",
                          "system-release(releasever) = 7", "redhat-release = 7.9"],
                files=files, config={"/etc/yum.repos.d/CentOS-Base.repo"}),
        logos(family, "centos-logos", "70.0.6", "3.el7.centos"),
    ]


# ---------------------------------------------------------------- Rocky, Oracle, RHEL

def _rocky_9(family, key, arch):
    gpgkey = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9"

    def mirrorlist(repo_id, repo, enabled=True):
        return repo_section(
            repo_id, f"Rocky Linux $releasever - {repo}",
            [f"mirrorlist=https://mirrors.rockylinux.org/mirrorlist?arch=$basearch"
             f"&repo={repo}-$releasever$rltype",
             f"#baseurl=http://dl.rockylinux.org/$contentdir/$releasever/{repo}/$basearch/os/"],
            gpgkey, enabled, ["countme=1", "metadata_expire=6h"])

    repos = {
        "/etc/yum.repos.d/rocky.repo": "\n".join(
            [mirrorlist("baseos", "BaseOS"), mirrorlist("appstream", "AppStream"),
             mirrorlist("crb", "CRB", enabled=False)]),
        "/etc/yum.repos.d/rocky-extras.repo": mirrorlist("extras", "extras"),
        "/etc/dnf/vars/contentdir": "pub/rocky\n",
        "/etc/dnf/vars/rltype": "\n",
    }
    return [
        Package("rocky-release", "9.5", "1.2.el9", family.vendor,
                provides=["rocky-release = 9.5", "centos-release = 9.5",
                          *release_provides(family, "9.5")],
                requires=["rocky-repos", "rocky-gpg-keys"],
                files=release_files(family, "/etc/rocky-release",
                                    "Rocky Linux release 9.5 (Blue Onyx)")),
        Package("rocky-repos", "9.5", "1.2.el9", family.vendor,
                files=repos, config=set(repos)),
        Package("rocky-gpg-keys", "9.5", "1.2.el9", family.vendor,
                files={"/etc/pki/rpm-gpg/RPM-GPG-KEY-Rocky-9": key_file(key)}),
        logos(family, "rocky-logos", "90.15", "2.el9"),
    ]


def _oracle_8(family, key, arch):
    gpgkey = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-oracle"

    def baseurl(repo_id, label, path):
        return repo_section(
            repo_id, f"Oracle Linux 8 {label} ($basearch)",
            [f"baseurl=https://yum$ociregion.$ocidomain/repo/OracleLinux/OL8/{path}/$basearch/"],
            gpgkey)

    repo = "\n".join([baseurl("ol8_baseos_latest", "BaseOS Latest", "baseos/latest"),
                      baseurl("ol8_appstream", "Application Stream", "appstream")])
    files = release_files(family, "/etc/oracle-release", "Oracle Linux Server release 8.10")
    del files["/etc/redhat-release"]   # owned by OL's redhat-release compat package
    files["/etc/pki/rpm-gpg/RPM-GPG-KEY-oracle"] = key_file(key)
    files["/etc/dnf/vars/ocidomain"] = "oracle.com\n"
    files["/etc/dnf/vars/ociregion"] = "\n"
    return [
        Package("oraclelinux-release", "8.10", "1.0.7.el8", family.vendor, epoch=8,
                provides=["oraclelinux-release = 8.10", *release_provides(family, "8.10")],
                requires=["oraclelinux-release-el8", "redhat-release"],
                files=files, config={"/etc/dnf/vars/ocidomain", "/etc/dnf/vars/ociregion"}),
        Package("oraclelinux-release-el8", "1.0", "35.el8", family.vendor,
                files={"/etc/yum.repos.d/oracle-linux-ol8.repo": repo},
                config={"/etc/yum.repos.d/oracle-linux-ol8.repo"}),
        Package("redhat-release", "8.10", "0.1.0.1.el8", family.vendor,
                provides=["redhat-release-server = 8.10"],
                files={"/etc/redhat-release":
                       "Red Hat Enterprise Linux release 8.10 (Ootpa)\n"}),
        logos(family, "oracle-logos", "84.5", "1.0.1.el8"),
    ]


def redhat_repo(major, arch):
    """RHEL's redhat.repo: written by subscription-manager, owned by no package."""
    def section(kind, label):
        return "\n".join([
            f"[rhel-{major}-for-{arch}-{kind}-rpms]",
            f"name = Red Hat Enterprise Linux {major} for {arch} - {label} (RPMs)",
            f"baseurl = https://cdn.redhat.com/content/dist/rhel{major}/$releasever/{arch}/{kind}/os",
            "enabled = 1", "gpgcheck = 1",
            "gpgkey = file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release",
            "sslverify = 1", "sslcacert = /etc/rhsm/ca/redhat-uep.pem",
            "sslclientkey = /etc/pki/entitlement/0000000000000000000-key.pem",
            "sslclientcert = /etc/pki/entitlement/0000000000000000000.pem",
            "metadata_expire = 86400", "enabled_metadata = 1", ""])
    return ("#\n# Certificate-Based Repositories\n# Managed by (rhsm) subscription-manager\n#\n"
            + section("baseos", "BaseOS") + "\n" + section("appstream", "AppStream"))


def _rhel(family, key, arch):
    version = family.version_id
    codename = {9: "Plow", 10: "Coughlan"}[family.major]
    files = release_files(family, "/etc/redhat-release",
                          f"Red Hat Enterprise Linux release {version} ({codename})")
    files["/etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release"] = key_file(key)
    return [
        Package("redhat-release", version, f"0.5.el{family.major}", family.vendor,
                provides=release_provides(family, version, with_redhat=False)
                + [f"redhat-release-eula = {version}"],
                files=files),
        logos(family, "redhat-logos", f"{family.major}0.4", f"1.el{family.major}"),
    ]


def _rhel_loose(family, arch):
    return {"/etc/yum.repos.d/redhat.repo": redhat_repo(family.major, arch)}


def _fedora(family, key, arch):
    gpgkey = "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch"
    repo = repo_section(
        "fedora", "Fedora $releasever - $basearch",
        ["metalink=https://mirrors.fedoraproject.org/metalink?repo=fedora-$releasever"
         "&arch=$basearch"], gpgkey, True, ["countme=1", "repo_gpgcheck=0"])
    files = release_files(family, "/etc/fedora-release", "Fedora release 41 (Forty One)")
    return [
        Package("fedora-release-common", "41", "29", family.vendor,
                provides=["system-release = 41", "system-release(releasever) = 41"],
                files=files),
        Package("fedora-repos", "41", "2", family.vendor,
                files={"/etc/yum.repos.d/fedora.repo": repo,
                       f"/etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-41-{arch}": key_file(key)},
                config={"/etc/yum.repos.d/fedora.repo"}),
    ]


# ---------------------------------------------------------------- AlmaLinux (target)

def alma_repo_files(major):
    keyname = "RPM-GPG-KEY-AlmaLinux" if major == 8 else f"RPM-GPG-KEY-AlmaLinux-{major}"
    gpgkey = f"file:///etc/pki/rpm-gpg/{keyname}"
    extra_repo = ("powertools", "PowerTools") if major == 8 else ("crb", "CRB")
    files = {}
    for repo_id, tree, enabled in (("baseos", "BaseOS", True), ("appstream", "AppStream", True),
                                   ("extras", "extras", True), (*extra_repo, False)):
        files[f"/etc/yum.repos.d/almalinux-{repo_id}.repo"] = repo_section(
            repo_id, f"AlmaLinux $releasever - {tree}",
            [f"mirrorlist=https://mirrors.almalinux.org/mirrorlist/$releasever/{repo_id}",
             f"# baseurl=https://repo.almalinux.org/almalinux/$releasever/{tree}/$basearch/os/"],
            gpgkey, enabled, ["countme=1", "metadata_expire=86400", "enabled_metadata=1"])
    return files, keyname


def alma_family(major):
    version, codename = ALMA_VERSIONS[major]
    return Family(
        key=f"almalinux{major}", major=major, vendor=ALMA_VENDOR,
        signing_key=f"almalinux-{major}",
        os_release=os_release(
            "AlmaLinux", f"{version} ({codename})", "almalinux", "rhel centos fedora",
            version, f"platform:el{major}", f"AlmaLinux {version} ({codename})",
            f"cpe:/o:almalinux:almalinux:{major}::baseos", "https://almalinux.org/",
            BUG_REPORT_URL="https://bugs.almalinux.org/",
            ALMALINUX_MANTISBT_PROJECT=f"AlmaLinux-{major}",
            ALMALINUX_MANTISBT_PROJECT_VERSION=version,
            REDHAT_SUPPORT_PRODUCT="AlmaLinux",
            REDHAT_SUPPORT_PRODUCT_VERSION=version),
        release_builder=_alma_release)


def _alma_release(family, key, arch):
    major = family.major
    version, codename = ALMA_VERSIONS[major]
    rel = f"1.el{major}"
    repos, keyname = alma_repo_files(major)
    files = release_files(family, "/etc/almalinux-release",
                          f"AlmaLinux release {version} ({codename})")
    keys = {f"/etc/pki/rpm-gpg/{keyname}": key_file(key)}
    common = dict(vendor=ALMA_VENDOR, packager=ALMA_PACKAGER, url="https://almalinux.org/")
    release = Package("almalinux-release", version, rel,
                      provides=["almalinux-release = " + version, *release_provides(family, version)],
                      files=files, **common)
    if major == 8:  # AlmaLinux 8 keeps repos and key in almalinux-release
        release.files.update(repos)
        release.files.update(keys)
        release.config = set(repos)
        packages = [release]
    else:
        release.requires = ["almalinux-repos", "almalinux-gpg-keys"]
        packages = [release,
                    Package("almalinux-repos", version, rel, files=repos,
                            config=set(repos), **common),
                    Package("almalinux-gpg-keys", version, rel, files=keys, **common)]
    logo = logos(family, "almalinux-logos", f"{major}0.3", rel)
    logo.packager, logo.url = ALMA_PACKAGER, "https://almalinux.org/"
    return packages + [logo]


# ---------------------------------------------------------------- ordinary packages

def ordinary_packages(major, count, vendor, almalinux=False):
    """`count` ordinary packages (at least MIN_ORDINARY) for one major.

    Source side and AlmaLinux side differ exactly as the migration must
    handle: NEWER is upgraded, OLDER downgraded, REBUILT reinstalled (same
    version, other content and vendor), the COMMON_PREFIX ones have the same
    NEVRA and content but AlmaLinux's vendor and signature. The first common
    package requires system-release, as many real packages do, so the
    release package cannot simply be erased.
    """
    if count < MIN_ORDINARY:
        raise ValueError(f"need at least {MIN_ORDINARY} ordinary packages")
    dist = f"el{major}"
    packager = ALMA_PACKAGER if almalinux else ""

    def pkg(name, version, note="", **kw):
        release = f"1.{dist}"
        return Package(name, version, release, vendor, packager=packager,
                       files={f"/usr/share/{name}/README":
                              f"{name} {version}-{release}\n{note}"},
                       dirs=[f"/usr/share/{name}"], **kw)

    packages = [
        pkg(NEWER, "1.1" if almalinux else "1.0"),
        pkg(OLDER, "1.9" if almalinux else "2.0"),
        pkg(REBUILT, "1.0", "rebuilt by AlmaLinux\n" if almalinux else ""),
    ]
    for i in range(1, count - len(packages) + 1):
        packages.append(pkg(f"{COMMON_PREFIX}{i:04d}", "1.0",
                            requires=["system-release"] if i == 1 else []))
    return packages


# ---------------------------------------------------------------- kernels

# (source version-release, AlmaLinux version-release) of kernel-core per major.
KERNEL_VERSIONS = {
    8: ("4.18.0", "553.el8", "553.5.1.el8"),
    9: ("5.14.0", "427.13.1.el9", "503.11.1.el9"),
    10: ("6.12.0", "55.el10", "55.9.1.el10"),
}
KERNEL_PACKAGES = ("kernel", "kernel-core")


def kernel_packages(major, vendor, almalinux=False):
    """kernel + kernel-core, install-only as in EL (dnf keeps the old one)."""
    if major not in KERNEL_VERSIONS:
        return []
    version, source_release, alma_release = KERNEL_VERSIONS[major]
    release = alma_release if almalinux else source_release
    uname = f"{version}-{release}.noarch"
    packager = ALMA_PACKAGER if almalinux else ""
    return [
        Package("kernel-core", version, release, vendor, packager=packager,
                provides=["installonlypkg(kernel)", f"kernel-uname-r = {uname}",
                          f"kernel-core-uname-r = {uname}"],
                files={f"/usr/lib/modules/{uname}/vmlinuz": f"simulated kernel {uname}\n"},
                dirs=[f"/usr/lib/modules/{uname}"]),
        Package("kernel", version, release, vendor, packager=packager,
                provides=["installonlypkg(kernel)"],
                requires=[f"kernel-core-uname-r = {uname}"]),
    ]


# ---------------------------------------------------------------- the table

def _debian_like():
    return Family(
        key="debian", major=12, supported=False, rpm_based=False,
        os_release={"PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)",
                    "NAME": "Debian GNU/Linux", "VERSION_ID": "12",
                    "VERSION": "12 (bookworm)", "VERSION_CODENAME": "bookworm",
                    "ID": "debian", "HOME_URL": "https://www.debian.org/"})


def _families():
    centos_home = "https://centos.org/"
    fams = [
        Family("centos8", 8, os_release(
            "CentOS Linux", "8", "centos", "rhel fedora", "8", "platform:el8",
            "CentOS Linux 8", "cpe:/o:centos:centos:8", centos_home,
            BUG_REPORT_URL="https://bugs.centos.org/",
            CENTOS_MANTISBT_PROJECT="CentOS-8", CENTOS_MANTISBT_PROJECT_VERSION="8"),
            vendor="CentOS", signing_key="centos", release_builder=_centos_linux_8),
        Family("centos-stream8", 8, os_release(
            "CentOS Stream", "8", "centos", "rhel fedora", "8", "platform:el8",
            "CentOS Stream 8", "cpe:/o:centos:centos:8", centos_home,
            BUG_REPORT_URL="https://bugzilla.redhat.com/"),
            vendor="CentOS", signing_key="centos", release_builder=_centos_stream_8),
        Family("centos-stream9", 9, os_release(
            "CentOS Stream", "9", "centos", "rhel fedora", "9", "platform:el9",
            "CentOS Stream 9", "cpe:/o:centos:centos:9", centos_home,
            BUG_REPORT_URL="https://issues.redhat.com/",
            REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux 9",
            REDHAT_SUPPORT_PRODUCT_VERSION="CentOS Stream"),
            vendor="CentOS", signing_key="centos", release_builder=_centos_stream_9_10),
        Family("centos-stream10", 10, os_release(
            "CentOS Stream", "10 (Coughlan)", "centos", "rhel fedora", "10",
            "platform:el10", "CentOS Stream 10 (Coughlan)", "cpe:/o:centos:centos:10",
            centos_home, BUG_REPORT_URL="https://issues.redhat.com/"),
            vendor="CentOS", signing_key="centos", release_builder=_centos_stream_9_10),
        Family("rocky9", 9, os_release(
            "Rocky Linux", "9.5 (Blue Onyx)", "rocky", "rhel centos fedora", "9.5",
            "platform:el9", "Rocky Linux 9.5 (Blue Onyx)",
            "cpe:/o:rocky:rocky:9::baseos", "https://rockylinux.org/",
            BUG_REPORT_URL="https://bugs.rockylinux.org/",
            ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9", ROCKY_SUPPORT_PRODUCT_VERSION="9.5"),
            vendor="Rocky Enterprise Software Foundation", signing_key="rocky",
            release_builder=_rocky_9),
        Family("ol8", 8, os_release(
            "Oracle Linux Server", "8.10", "ol", "fedora", "8.10", "platform:el8",
            "Oracle Linux Server 8.10", "cpe:/o:oracle:linux:8:10:server",
            "https://linux.oracle.com/", VARIANT="Server", VARIANT_ID="server",
            BUG_REPORT_URL="https://github.com/oracle/oracle-linux"),
            vendor="Oracle America", signing_key="oracle", release_builder=_oracle_8,
            modules=[virt_module("ol", "Oracle America",
                                 "1.module+el8.10.0+90048+229f0a1c")]),
        Family("rhel9", 9, os_release(
            "Red Hat Enterprise Linux", "9.4 (Plow)", "rhel", "fedora", "9.4",
            "platform:el9", "Red Hat Enterprise Linux 9.4 (Plow)",
            "cpe:/o:redhat:enterprise_linux:9::baseos", "https://www.redhat.com/",
            BUG_REPORT_URL="https://issues.redhat.com/",
            REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux 9",
            REDHAT_SUPPORT_PRODUCT_VERSION="9.4"),
            vendor="Red Hat, Inc.", signing_key="redhat", release_builder=_rhel,
            loose_builder=_rhel_loose),
        Family("rhel10", 10, os_release(
            "Red Hat Enterprise Linux", "10.0 (Coughlan)", "rhel", "centos fedora",
            "10.0", "platform:el10", "Red Hat Enterprise Linux 10.0 (Coughlan)",
            "cpe:/o:redhat:enterprise_linux:10::baseos", "https://www.redhat.com/",
            BUG_REPORT_URL="https://issues.redhat.com/",
            REDHAT_SUPPORT_PRODUCT="Red Hat Enterprise Linux 10",
            REDHAT_SUPPORT_PRODUCT_VERSION="10.0"),
            vendor="Red Hat, Inc.", signing_key="redhat", release_builder=_rhel,
            loose_builder=_rhel_loose),
        alma_family(9),
        Family("centos7", 7, os_release(
            "CentOS Linux", "7 (Core)", "centos", "rhel fedora", "7", "",
            "CentOS Linux 7 (Core)", "cpe:/o:centos:centos:7", centos_home),
            vendor="CentOS", signing_key="centos", supported=False,
            release_builder=_centos_7),
        Family("fedora", 41, os_release(
            "Fedora Linux", "41 (Forty One)", "fedora", "", "41", "platform:f41",
            "Fedora Linux 41 (Forty One)", "cpe:/o:fedoraproject:fedora:41",
            "https://fedoraproject.org/"),
            vendor="Fedora Project", signing_key="fedora", supported=False,
            release_builder=_fedora),
        _debian_like(),
    ]
    for fam in fams:
        if not fam.os_release.get("PLATFORM_ID"):
            fam.os_release.pop("PLATFORM_ID", None)
    return {f.key: f for f in fams}


FAMILIES = _families()
SOURCE_FAMILIES = [k for k, f in FAMILIES.items()
                   if f.supported and f.rpm_based and f.vendor != ALMA_VENDOR]
UNSUPPORTED_FAMILIES = [k for k, f in FAMILIES.items() if not f.supported]
SIGNING_KEYS = sorted({f.signing_key for f in FAMILIES.values() if f.signing_key})
