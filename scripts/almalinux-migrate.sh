#!/usr/bin/env bash
#
# almalinux-migrate.sh - convert an Enterprise Linux system to AlmaLinux in place.
#
# Sources: CentOS Linux 8, CentOS Stream 8/9/10, Rocky Linux, Oracle Linux and
# RHEL 8/9/10, to AlmaLinux of the same major version, on x86_64, aarch64,
# ppc64le and s390x. The source OS's own repositories are never used.
#
# Order of work: preflight, then everything that can be downloaded and verified
# is (AlmaLinux key, repository metadata, every package of the transaction,
# each package's signature), then a backup, and only then the first change.
# Progress is kept in a state file, so a re-run after an interruption resumes.
#
# Decisions worth knowing:
# - The distro-sync runs against the AlmaLinux repositories only (private repo
#   files in the work directory, metadata and packages cached there). Other
#   enabled repositories (EPEL, vendors' repos) are left untouched and enabled,
#   listed in the report; an unreachable one cannot break the migration, and
#   their packages are not switched.
# - --check writes nothing at all (no log file unless --log is given, no work
#   directory, no dnf run); a real run logs the whole transcript to --log.
# - Before the point of no return dnf only resolves and downloads (its logs,
#   history and cache redirected to the work directory, gpgcheck off so it
#   imports no key); rpmkeys then checks every downloaded package against a
#   temporary keyring holding only the verified AlmaLinux key. After it, dnf
#   runs from that verified cache only (--cacheonly, gpgcheck on as well);
#   whatever a step still needs is downloaded, checked the same way, then
#   installed. A file:// mirror is copied into the cache like a remote one.
# - dnf uses a configuration of the script's own (the host's proxy settings
#   carried over, nothing else), and checks repomd.xml signatures where the
#   mirror publishes them.
# - The first change is the release swap: one dnf transaction removes the
#   source's release, repos, key and logos packages, installs AlmaLinux's and
#   distro-syncs everything else (rpm installs before it erases, so a release
#   package is always installed); after an interruption or a fallback, a
#   separate distro-sync settles the rest.

# Steps run as "step_<name>" and handlers from traps: shellcheck cannot see
# those calls.
# shellcheck disable=SC2317

set -Eeuo pipefail

readonly SCRIPT_NAME="almalinux-migrate.sh"
readonly VERSION="1.0.0"
# The --report document's format (its schema is published beside the script).
readonly REPORT_FORMAT_VERSION=1

# Exit codes: "code NAME meaning", the one declaration. Each becomes a
# read-only EXIT_<NAME>; --exit-codes prints the table (the site, the fleet
# playbook and the tests read that output) and --help lists it.
readonly EXIT_CODES=(
  "0 OK Success: migrated, ready (--check), or nothing to do"
  "2 USAGE Usage error: unknown option or bad argument"
  "3 UNSUPPORTED Unsupported system (OS, version or architecture); nothing changed"
  "4 BLOCKED Preflight blockers (with --check: not ready); nothing changed"
  "5 RESTORED Failed before the point of no return; backup restored, nothing changed"
  "6 RESUME Failed after the point of no return; fix the cause and re-run to resume"
  "7 DECLINED Not confirmed at the prompt; nothing changed"
)
for _entry in "${EXIT_CODES[@]}"; do
  read -r _code _name _ <<<"${_entry}"
  declare -gr "EXIT_${_name}=${_code}"
done
unset _entry _code _name

# Every finding the script can report: "id|level|title|what to do". The ids
# are stable (the --report JSON, the fleet report and the troubleshooting
# page use them); levels: blocker (nothing is done until it is fixed),
# warning, info. --list-findings prints the table.
readonly FINDINGS=(
  "not-root|blocker|Not running as root|Run the script as root, or with sudo."
  "command-missing|blocker|A command the migration needs is missing|Install the package that provides it, then run the script again."
  "free-space-unknown|warning|Free space could not be read|Check with df that the file system has the room the preflight asks for."
  "rpmdb-damaged|blocker|The rpm database is damaged|Back up /var/lib/rpm, run rpm --rebuilddb, check that rpm -qa lists the installed packages, then run the script again."
  "low-free-space|blocker|Not enough free space|Free space on the file system named (dnf clean all, old kernels, old logs), then run the script again."
  "package-manager-busy|blocker|Another package manager is running|Wait until it has finished, then run the script again."
  "unfinished-transaction|blocker|An unfinished transaction left duplicate packages|Finish or undo that transaction (dnf remove --duplicates), then run the script again."
  "secure-boot-unknown|warning|Secure Boot state unknown|Install mokutil to have it checked, or look it up in the firmware settings."
  "secure-boot-enabled|warning|Secure Boot is enabled|Make sure every third-party kernel module is signed with a key enrolled in the MOK list."
  "tainted-kernel-module|warning|Out-of-tree or tainted kernel modules are loaded|Make sure each one has a build for AlmaLinux's kernel before rebooting: DKMS rebuilds its modules for the new kernel, a vendor's kmod package needs its EL build."
  "module-refused-by-secure-boot|blocker|A third-party kernel module would not load under Secure Boot with AlmaLinux's keys|Sign the module with a key enrolled in the MOK list (mokutil --import, then reboot to enroll it), or remove it and rebuild it with DKMS after the migration; then run the script again."
  "kernel-added|info|AlmaLinux's kernel is installed with the migration|Nothing to do: the system had only another vendor's kernels (such as UEK); after rebooting into AlmaLinux's kernel, remove the old ones."
  "container|info|Running in a container|Nothing to do: the kernel, bootloader and EFI steps are skipped (the host runs the kernel)."
  "efi-on-raid-or-multipath|blocker|The EFI system partition is on md RAID or multipath|Before the migration, add one AlmaLinux boot entry per member disk: efibootmgr -c -d /dev/<disk> -p <partition> -L AlmaLinux -l <loader>, where <loader> is the EFI partition's EFI/almalinux/shimx64.efi (shimaa64.efi on aarch64) written with backslashes, as the firmware expects; the migration installs that file. Then run the script again."
  "releasever-pinned|warning|The release version is pinned|Remove /etc/dnf/vars/releasever unless the system must stay on that minor release."
  "package-excluded|blocker|An exclude setting hides packages the migration must replace|Remove the pattern from exclude=/excludepkgs= in the file named (put it back after the migration if it is still wanted), then run the script again."
  "package-version-locked|warning|A package is version-locked|Nothing to do if it must keep its build (it is not migrated); pass --migrate-locked to migrate it too: the lock list then pins the AlmaLinux build."
  "release-package-locked|blocker|A release package is version-locked|Pass --migrate-locked (the release packages must be replaced), or remove the lock (dnf versionlock delete NAME)."
  "module-stream-unmapped|blocker|An enabled module stream has no AlmaLinux counterpart|Switch the module to a stream the AlmaLinux mirror has (dnf module reset NAME, then dnf module enable NAME:STREAM), then run the script again."
  "epel-next-disabled|warning|EPEL Next repositories are disabled|Nothing to do: EPEL Next is built for CentOS Stream; on AlmaLinux the epel repository alone is the right one."
  "mirror-release-outdated|warning|The mirror's AlmaLinux release is not the newest|Use an up-to-date mirror, or check that the mirror is being synced."
  "mirror-provides-unreadable|warning|The mirror's BaseOS metadata could not be read|Nothing to do: dnf's resolution after the download decides; check the mirror if it persists."
  "dependent-packages|blocker|Installed packages depend on the source's release packages|Remove those packages first, or accept their removal with --allow-remove PKG (once per package)."
  "transaction-file-conflict|blocker|Packages of the migration transaction would own the same file|Remove the installed package named in the detail (or replace it with the AlmaLinux build that carries the file), then run the script again."
  "transaction-dependency-problem|blocker|The migration transaction does not resolve|Read dnf's problem in the detail: remove or replace the package it names (or add the repository that provides what it needs), then run the script again."
  "transaction-not-the-swap|blocker|The resolved transaction does not install AlmaLinux's release package|Read dnf's messages in the log: an exclude, a version lock or a repository setting can keep almalinux-release out; fix that, then run the script again."
  "transaction-disk-space|blocker|Not enough disk space for the migration transaction|Free space on the file system rpm names in the detail, then run the script again."
  "vendor-fips-provider|warning|A FIPS provider package of the source system is replaced|Nothing to do: AlmaLinux's openssl-libs carries the FIPS provider; check fips-mode-setup --check after the migration if the system runs in FIPS mode."
  "vendor-support-tools|warning|Support tools of the source vendor are removed|Nothing to do; they only work with the source vendor's subscription or support service."
  "vendor-cloud-client|warning|The source vendor's cloud update client is removed|Nothing to do: the AlmaLinux repositories replace the cloud provider's update service for the source system."
  "vendor-kernel|warning|A kernel AlmaLinux does not build stays installed|Reboot into AlmaLinux's kernel, then remove the kernels named (dnf remove); with Secure Boot they will no longer boot."
  "vendor-repositories|warning|Repository packages of the source vendor are removed or replaced|Nothing to do; for EPEL on AlmaLinux install epel-release if it was not installed in their place; set up an Oracle add-on repository again by hand only if you still need it."
  "vendor-branding|info|Branding packages are replaced by AlmaLinux's|Nothing to do."
  "removal-accepted|warning|Packages removed as accepted with --allow-remove|Nothing to do; install their AlmaLinux counterparts afterwards if you need them."
  "insecure-http|warning|The mirror is plain http|Use an https:// or file:/// mirror."
  "mirror-credentials-not-kept|warning|The mirror's credentials are used for the migration only|Add username= and password= to the AlmaLinux repository files (mode 0600) if the system keeps using this mirror."
  "mirror-unreachable|blocker|The AlmaLinux mirror is unreachable|Check the --mirror URL, the network, the proxy and DNS, then run the script again."
  "mirror-no-baseos|blocker|The mirror has no BaseOS repository|Point --mirror at a tree laid out like the official one (URL/<major>/BaseOS/<arch>/os/)."
  "mirror-no-appstream|blocker|The mirror has no AppStream repository|Point --mirror at a tree laid out like the official one (URL/<major>/AppStream/<arch>/os/)."
  "key-untrusted|blocker|The mirror's signing key is not the pinned AlmaLinux key|Use an official AlmaLinux mirror, or --fingerprint for a mirror signed with a key of your own."
  "no-release-package|blocker|No release package of the source system found|Check that the rpm database is intact (rpm -qa) and that this is a supported system."
  "custom-key|warning|A key given with --fingerprint is trusted instead of the pinned key|Nothing to do if the key is yours; otherwise drop --fingerprint."
  "no-bootloader|warning|No bootloader found|Nothing to do in a container; on a machine that boots, check the bootloader after the migration."
)

# Pinned AlmaLinux signing keys (must equal data/releases.yml, a test checks).
readonly PINNED_FPR_8="BC5EDDCADF502C077F1582882AE81E8ACED7258B"
readonly PINNED_FPR_9="BF18AC2876178908D6E71267D36CB86CB86B3716"
readonly PINNED_FPR_10="EE6DB7B98F5BF5EDD9DA0DE5DEE5C11CC2A1E572"
# The AlmaLinux 8 key used until 2024-01-12 (data/releases.yml); older 8.x
# packages carry it.
readonly PREVIOUS_FPR_8="5E9B8F5617B5066CE92057C3488FCF7C3ABB34F8"

readonly OFFICIAL_MIRROR="https://repo.almalinux.org/almalinux"
readonly WORK_DIR="/var/lib/almalinux-migrate"
readonly STATE_FILE="${WORK_DIR}/state"
readonly LOCK_FILE="${WORK_DIR}/lock"
readonly REPOS_DIR="${WORK_DIR}/repos.d"
readonly CACHE_DIR="${WORK_DIR}/cache"
readonly KEYRING_DIR="${WORK_DIR}/keyring"
readonly DEFAULT_LOG="/var/log/almalinux-migrate.log"
readonly OS_RELEASE="/etc/os-release"
readonly EFI_DIR="/boot/efi/EFI"

readonly SUPPORTED_IDS="centos rocky ol rhel almalinux"
readonly SUPPORTED_MAJORS="8 9 10"
readonly SUPPORTED_ARCHES="x86_64 aarch64 ppc64le s390x"

# Release-side packages of the source systems: removed in the swap.
readonly SOURCE_RELEASE_PKGS=(
  centos-linux-release centos-linux-repos centos-stream-release
  centos-stream-repos centos-release centos-repos centos-gpg-keys
  rocky-release rocky-repos rocky-gpg-keys
  oraclelinux-release oraclelinux-release-el8 oraclelinux-release-el9
  oraclelinux-release-el10
  redhat-release redhat-release-eula
)
# Vendor packages with no AlmaLinux counterpart of the same name, or with a
# known conflict: "names|finding id|action|counterpart|what they are". Names
# are package names or globs. Actions, all in the one swap transaction:
#   swap    removed, and the counterpart installed (almalinux-* stands for
#           almalinux-<the name after its first dash>; an installed
#           counterpart is replaced by distro-sync instead);
#   remove  removed;
#   keep    left installed, with a warning.
# The first row a name matches decides (oracle-epel-release-el* before
# oracle-*-release-el*). Sources: almalinux-deploy's removal and branding
# lists (github.com/AlmaLinux/almalinux-deploy, e.g. pull requests 219, 232
# and 247 for the FIPS providers), convert2rhel's per-vendor package lists
# (github.com/oamg/convert2rhel, convert2rhel/data/*/x86_64/configs/) and
# leapp's list of RHUI clients (github.com/oamg/leapp-repository,
# repos/system_upgrade/common/libraries/rhui.py).
readonly VENDOR_PKGS=(
  "openssl-fips-provider openssl-fips-provider-so|vendor-fips-provider|swap|openssl-libs|RHEL 9.4+ (and rebuilds of its sources) ships the FIPS provider apart from openssl-libs; AlmaLinux's openssl-libs carries its own, so both would own /usr/lib64/ossl-modules/fips.so"
  "fips-provider-next|vendor-fips-provider|swap|openssl-libs|CentOS Stream 9's newer FIPS provider, which owns /usr/lib64/ossl-modules/fips.so like AlmaLinux's openssl-libs"
  "insights-client rhc rhc-worker-playbook|vendor-support-tools|remove||Red Hat Insights and the Red Hat connector: they report to Red Hat's services only"
  "libreport-rhel libreport-rhel-* libreport-plugin-rhtsupport|vendor-support-tools|remove||libreport's Red Hat support case and Bugzilla plugins"
  "rh-amazon-rhui-client* rhui-azure-rhel* google-rhui-client-rhel* aliyun_rhui_rhel*|vendor-cloud-client|remove||RHEL's cloud repository configuration (the RHUI clients of AWS, Azure, Google Cloud and Alibaba Cloud, used there instead of subscription-manager)"
  "kernel-uek kernel-uek-*|vendor-kernel|keep||Oracle's Unbreakable Enterprise Kernel: no AlmaLinux build; it stays bootable (not under Secure Boot) until removed"
  "oracle-epel-release-el*|vendor-repositories|swap|epel-release|Oracle's EPEL mirror repositories; AlmaLinux's extras repository has epel-release"
  "oraclelinux-*-release-el* oracle-*-release-el*|vendor-repositories|remove||Oracle Linux's add-on repositories (developer, Automation Manager, Instant Client, Cloud Native Environment ...): Oracle's servers, Oracle's signing key; the UEK repositories come with oraclelinux-release-el*, removed with it"
  "epel-next-release|vendor-repositories|remove||EPEL Next: EPEL packages built for CentOS Stream, newer than AlmaLinux's libraries"
  "centos-logos centos-logos-httpd centos-logos-ipa centos-backgrounds centos-indexhtml|vendor-branding|swap|almalinux-*|CentOS branding"
  "rocky-logos rocky-logos-httpd rocky-logos-ipa rocky-backgrounds rocky-indexhtml|vendor-branding|swap|almalinux-*|Rocky Linux branding"
  "oracle-logos oracle-logos-httpd oracle-logos-ipa oracle-backgrounds oracle-indexhtml|vendor-branding|swap|almalinux-*|Oracle Linux branding"
  "redhat-logos redhat-logos-httpd redhat-logos-ipa redhat-backgrounds redhat-indexhtml|vendor-branding|swap|almalinux-*|RHEL branding"
)
# Branding packages (the vendor-branding rows): each is replaced by the
# almalinux-* package of the same suffix when the AlmaLinux repositories have it.
_branding=()
for _entry in "${VENDOR_PKGS[@]}"; do
  IFS='|' read -r _names _id _ <<<"${_entry}"
  [[ "${_id}" == "vendor-branding" ]] && read -r -a _more <<<"${_names}" && _branding+=("${_more[@]}")
done
readonly SOURCE_BRANDING_PKGS=("${_branding[@]}")
unset _entry _names _id _more _branding
readonly TARGET_RELEASE_PKGS=(almalinux-release almalinux-repos almalinux-gpg-keys)
# The kernels AlmaLinux builds (distro-sync replaces them); a system with
# none of them gets AlmaLinux's "kernel" in the swap transaction.
readonly ALMA_KERNEL_PKGS=(kernel kernel-core kernel-64k kernel-64k-core kernel-rt kernel-rt-core)
# In a container /proc and /sys are the host's (read-only, or not the
# container's to chmod): rpm must not touch the filesystem package's copies.
readonly CONTAINER_NETSHARED_PATHS="/proc:/sys"

# dnf's version lock plugin: its configuration, and its lock list unless
# the configuration names another (locklist=).
readonly VERSIONLOCK_CONF="/etc/dnf/plugins/versionlock.conf"
readonly VERSIONLOCK_LIST="/etc/dnf/plugins/versionlock.list"
# SSSD's caches (LDB files), which an older sssd build cannot read.
readonly SSSD_DB_DIR="/var/lib/sss/db"
# dnf's EL8 module state (one NAME.module file per module); dnf 4 has no
# option for another place.
readonly MODULES_DIR="/etc/dnf/modules.d"

# The newest AlmaLinux release of each major when this script was published
# (must equal data/releases.yml, a test checks). A mirror whose
# almalinux-release is older is stale, or replays old (validly signed)
# metadata: warned about, not refused.
readonly NEWEST_RELEASE_8="8.10"
readonly NEWEST_RELEASE_9="9.8"
readonly NEWEST_RELEASE_10="10.2"

# The migration's own dnf configuration and the host's, whose proxy settings
# are all it takes over (sslverify=0 or [repo] sections there must not leak
# in). In the repository directory: removed with it.
readonly DNF_CONF="${REPOS_DIR}/dnf.conf"
readonly HOST_DNF_CONF="/etc/dnf/dnf.conf"
# Package files in the cache whose signature was checked against the
# verified key: "inode size mtime path" lines (anything else is new).
readonly VERIFIED_LIST="${CACHE_DIR}/verified.list"
# The key and repositories of the mirror a resume is leaving, kept until the
# new --mirror passed the key and signature checks.
readonly MIRROR_SWITCH_DIR="${WORK_DIR}/mirror-switch"
# In a container: the HOME dnf runs the transactions with, whose .rpmmacros
# adds CONTAINER_NETSHARED_PATHS to %_netsharedpath (for those runs only).
readonly RPM_HOME_DIR="${WORK_DIR}/rpm-home"

# Paths saved before the first change and restored on a failure before it.
readonly BACKUP_PATHS=(
  /etc/yum.repos.d /etc/dnf /etc/pki/rpm-gpg /etc/os-release
  /usr/lib/os-release /etc/redhat-release /etc/system-release
  /etc/system-release-cpe /etc/centos-release /etc/rocky-release
  /etc/rocky-release-upstream /etc/oracle-release /etc/issue /etc/issue.net
  /etc/yum/pluginconf.d/subscription-manager.conf
)

# Free space (MiB) below which the migration is refused.
readonly MIN_FREE_ROOT_MB=1024
readonly MIN_FREE_VAR_MB=1024
readonly MIN_FREE_BOOT_MB=100

# Downloads with curl (the key file, repository probes): seconds to connect,
# seconds for a whole transfer, seconds under 1 byte/s before a stalled
# mirror is given up (also the window in which a failed transfer is retried),
# and the largest key file accepted (AlmaLinux's are about 3 KiB).
readonly CURL_CONNECT_SECONDS=15
readonly CURL_MAX_SECONDS=120
readonly CURL_STALL_SECONDS=15
# dnf's downloads (the migration's own dnf.conf): bytes per second below
# which, for CURL_STALL_SECONDS (dnf's timeout, also its connect timeout), a
# transfer counts as stalled, and how many failed transfers a dnf command
# tolerates in all (0 would mean forever), dnf's own default: the count is
# shared by every package of a download, and a lower one would fail a large
# download over a flaky link, run after run. So a mirror that stalls ends a
# dnf command within (DNF_RETRIES + 1) * CURL_STALL_SECONDS seconds; with one
# mirror librepo gives up sooner (measured with dnf 4.14: a metadata file
# after 4 stalled tries, 60 s; packages, 3 at a time, in about 30 s).
readonly DNF_MIN_RATE=1000
readonly DNF_RETRIES=10
readonly MAX_KEY_BYTES=262144
# Bound for the repository metadata the preflight reads (repomd.xml, primary).
readonly MAX_METADATA_BYTES=$((64 * 1024 * 1024))

readonly PRE_STEPS=(fetch-key verify-key prepare-repos download verify-signatures test-transaction backup)
# Module streams are remapped first: the swap's transaction already syncs.
# A resume at a step after swap-release first checks that the swap happened.
readonly POST_STEPS=(remap-modules swap-release configure-repos distro-sync kernel bootloader finish)

# Options.
CHECK_ONLY=0
ASSUME_YES=0
MIRROR=""
MIRROR_GIVEN=0
MIRROR_AUTH=""         # user:password from the --mirror URL (never in MIRROR, logs or state)
ALLOW_HTTP=0
CUSTOM_FPR=""
LOG_FILE="${DEFAULT_LOG}"
LOG_GIVEN=0
REPORT_FILE=""         # --report: where the JSON report goes
declare -a ALLOW_REMOVE=()   # --allow-remove: packages the swap may remove
MIGRATE_LOCKED=0       # --migrate-locked: version-locked packages are migrated too

# Detected system.
OS_ID=""
OS_NAME=""
OS_VERSION=""
MAJOR=""
ARCH=""
CONTAINER=""           # the container technology (container_technology); empty on a machine of its own
SECURE_BOOT=0          # mokutil says Secure Boot is enabled

# Run-time.
PHASE="start"          # start | pre | post: decides what a failure does
CHECK_TMP=""           # preflight's scratch directory: the key file as downloaded
BACKUP_DIR=""
BACKUP_COMPLETE=0
TEE_PID=""             # the logging tee (see start_logging); its pipe is fd 7
TEE_PIPE=""            # that pipe, as /proc/PID/fd shows it
TEE_ERRORS=""          # what tee said about its outputs (a reader that went away)
OUTPUT_LOST=0          # the output's reader went away after the point of no return
UNSAFE_START_NS=""
LOCKED=0               # the work directory's lock is held (fd 9)
SYNCED=0               # the swap transaction of this run also distro-synced
RESUME_FROM=""
declare -A STATE=()
declare -a FINDING_IDS=()      # the findings, in order: ids from FINDINGS
declare -a FINDING_DETAILS=()  # ... and what each found
declare -a BLOCKERS=()
declare -a WARNINGS=()
declare -a THIRD_PARTY_REPOS=()
declare -a SOURCE_REPO_FILES=()
declare -a SOURCE_PKGS=()
declare -a TARGET_PKGS=()
declare -a MIRROR_PROVIDES=()  # what AlmaLinux's release-side packages provide (BaseOS)
declare -a DEPENDENTS=()       # packages the swap would remove beyond the release set
declare -a DOWNGRADES=()       # packages the transaction would downgrade
declare -a TXN_INSTALL=()      # what dnf's resolution of the swap transaction installs,
declare -a TXN_UPGRADE=()      # ... upgrades,
declare -a TXN_REINSTALL=()    # ... reinstalls (same version, AlmaLinux's build)
declare -a TXN_REMOVE=()       # ... and removes
declare -a LEFT_UNMIGRATED=()  # installed packages the transaction leaves with their vendor
declare -a VENDOR_FOUND=()     # installed packages of the VENDOR_PKGS table: "name action"
declare -a NOT_MIGRATED=()     # packages left with another vendor after the migration
declare -a EXCLUDES=()         # the host's exclude patterns: "FILE<tab>PATTERN"
declare -a LOCKED_NAMES=()     # version-locked packages (dnf versionlock)
declare -a KEEP_LOCKED=()      # ... of those, the ones kept at their builds (dnf --exclude)
MODULE_STREAMS=""              # the mirror's EL8 module streams (modules_yaml_streams lines)
REPORT_STATUS=""               # the report's status where the exit code does not tell
REPORT_MESSAGE=""              # the error that ended the run, for the report
DOWNLOAD_ERROR=""              # dnf's first error about a download that failed (dnf_download)

#######################################
# Output helpers.
#######################################
log() {
  printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"
}

warn() {
  printf '[%s] WARNING: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}

# Prints a command (so the log shows every rpm/dnf run), then runs it.
run() {
  printf '+ %s\n' "$*" >&2
  "$@"
}

# Prints the exit-code table: "code<TAB>NAME<TAB>meaning" lines.
print_exit_codes() {
  local entry code name meaning
  for entry in "${EXIT_CODES[@]}"; do
    read -r code name meaning <<<"${entry}"
    printf '%s\t%s\t%s\n' "${code}" "${name}" "${meaning}"
  done
}

# Prints the FINDINGS entry of id "$1" as "level|title|remediation"; fails
# for an unknown id.
finding_entry() {
  local id="$1" entry
  for entry in "${FINDINGS[@]}"; do
    if [[ "${entry%%|*}" == "${id}" ]]; then
      printf '%s\n' "${entry#*|}"
      return 0
    fi
  done
  return 1
}

# Records finding "$1" (an id from FINDINGS) with its detail "$2": in the
# report, and as a blocker or warning of the text report. An unknown id is
# a bug in the script: it stops before anything is done.
# Changes FINDING_IDS, FINDING_DETAILS, BLOCKERS, WARNINGS.
finding() {
  local id="$1" detail="$2" entry level
  entry="$(finding_entry "${id}")" ||
    bail "${EXIT_BLOCKED}" "internal error: unknown finding id '${id}'. Nothing changed; please report this."
  level="${entry%%|*}"
  FINDING_IDS+=("${id}")
  FINDING_DETAILS+=("${detail}")
  case "${level}" in
    blocker) BLOCKERS+=("${detail}") ;;
    warning) WARNINGS+=("${detail}") ;;
    *) ;;
  esac
}

# Forgets every finding (ids "$@", or all when none is given).
# Changes FINDING_IDS, FINDING_DETAILS, BLOCKERS, WARNINGS.
drop_findings() {
  local i
  local -a ids=("${FINDING_IDS[@]}") details=("${FINDING_DETAILS[@]}")
  FINDING_IDS=()
  FINDING_DETAILS=()
  BLOCKERS=()
  WARNINGS=()
  (($# > 0)) || return 0
  for i in "${!ids[@]}"; do
    [[ " $* " == *" ${ids[i]} "* ]] || finding "${ids[i]}" "${details[i]}"
  done
}

#######################################
# The --report JSON document.
#######################################
# Prints "$1" as a JSON string.
json_string() {
  local s="$1" code char
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\t'/\\t}"
  s="${s//$'\r'/\\r}"
  if [[ "${s}" == *[[:cntrl:]]* ]]; then
    for code in {1..31} 127; do
      # shellcheck disable=SC2059  # an octal escape made from a number
      printf -v char "\\$(printf '%03o' "${code}")"
      s="${s//"${char}"/$(printf '\\u%04x' "${code}")}"
    done
  fi
  printf '"%s"' "${s}"
}

# Prints the words "$@" as a JSON array of strings.
json_array() {
  local sep="" item
  printf '['
  for item in "$@"; do
    printf '%s' "${sep}"
    json_string "${item}"
    sep=", "
  done
  printf ']'
}

# The report's status for exit code "$1" (REPORT_STATUS when the run set it).
report_status() {
  local code="$1"
  if [[ -n "${REPORT_STATUS}" ]]; then
    printf '%s' "${REPORT_STATUS}"
    return 0
  fi
  case "${code}" in
    "${EXIT_OK}") ((CHECK_ONLY == 1)) && printf 'ready' || printf 'migrated' ;;
    "${EXIT_UNSUPPORTED}") printf 'unsupported' ;;
    "${EXIT_BLOCKED}") printf 'blocked' ;;
    "${EXIT_RESTORED}") printf 'failed-restored' ;;
    "${EXIT_RESUME}") printf 'failed-resumable' ;;
    "${EXIT_DECLINED}") printf 'declined' ;;
    *) printf 'failed-resumable' ;;
  esac
}

# Prints what systemd-detect-virt says for "$1" (--container or --vm):
# "none", a technology name, or "unknown" without the tool.
virtualization() {
  local what
  command -v systemd-detect-virt >/dev/null || {
    printf 'unknown'
    return 0
  }
  what="$(systemd-detect-virt "$1" 2>/dev/null)" || true
  printf '%s' "${what:-none}"
}

# The report's system.container: what the run detected, or detects now
# when it stopped before (container_technology); "none" outside one.
container_shown() {
  local what="${CONTAINER}"
  [[ -n "${what}" ]] || what="$(container_technology "")"
  printf '%s' "${what:-none}"
}

# Prints the report document for exit code "$1".
report_json() {
  local code="$1" i entry level title remediation sep=""
  local -a removals=("${SOURCE_PKGS[@]}" "${DEPENDENTS[@]}")
  printf '{\n  "format_version": %d,\n' "${REPORT_FORMAT_VERSION}"
  printf '  "tool": {"name": %s, "version": %s},\n' "$(json_string "${SCRIPT_NAME}")" \
    "$(json_string "${VERSION}")"
  printf '  "check_only": %s,\n' "$( ((CHECK_ONLY == 1)) && echo true || echo false)"
  printf '  "system": {"id": %s, "name": %s, "version_id": %s, "major": %s, "arch": %s, "container": %s, "virtualization": %s},\n' \
    "$(json_string "${OS_ID}")" "$(json_string "${OS_NAME}")" "$(json_string "${OS_VERSION}")" \
    "$(json_string "${MAJOR}")" "$(json_string "${ARCH:-$(uname -m)}")" \
    "$(json_string "$(container_shown)")" "$(json_string "$(virtualization --vm)")"
  printf '  "mirror": %s,\n' "$(json_string "$(mirror_shown)")"
  printf '  "status": %s,\n  "exit_code": %d,\n' "$(json_string "$(report_status "${code}")")" "${code}"
  printf '  "message": %s,\n' "$(json_string "${REPORT_MESSAGE}")"
  printf '  "findings": ['
  for i in "${!FINDING_IDS[@]}"; do
    entry="$(finding_entry "${FINDING_IDS[i]}")"
    IFS='|' read -r level title remediation <<<"${entry}"
    printf '%s\n    {"id": %s, "level": %s, "title": %s, "detail": %s, "remediation": %s}' "${sep}" \
      "$(json_string "${FINDING_IDS[i]}")" "$(json_string "${level}")" "$(json_string "${title}")" \
      "$(json_string "${FINDING_DETAILS[i]}")" "$(json_string "${remediation}")"
    sep=","
  done
  [[ -n "${sep}" ]] && printf '\n  '
  printf '],\n'
  printf '  "third_party_repositories": %s,\n' "$(json_array "${THIRD_PARTY_REPOS[@]}")"
  printf '  "packages": {\n'
  printf '    "install": %s,\n' "$(json_array "${TARGET_PKGS[@]}")"
  printf '    "remove": %s,\n' "$(json_array "${removals[@]}")"
  printf '    "accepted_removals": %s,\n' "$(json_array "${ALLOW_REMOVE[@]}")"
  printf '    "downgrade": %s,\n' "$(json_array "${DOWNGRADES[@]}")"
  printf '    "left_unmigrated": %s,\n' "$(json_array "${LEFT_UNMIGRATED[@]}")"
  printf '    "not_migrated": %s\n' "$(json_array "${NOT_MIGRATED[@]}")"
  printf '  }\n}\n'
}

# Writes the --report file for exit code "$1": a temporary file beside it,
# mode 0600, renamed over it (a reader never sees half a report, and a
# symlink at the name is replaced, not followed).
write_report() {
  local code="$1" tmp
  [[ -n "${REPORT_FILE}" ]] || return 0
  if ! tmp="$(mktemp "${REPORT_FILE}.XXXXXX" 2>/dev/null)"; then
    printf '%s: ERROR: cannot write the report %s\n' "${SCRIPT_NAME}" "${REPORT_FILE}" >&2
    return 1
  fi
  chmod 0600 -- "${tmp}"
  if report_json "${code}" >"${tmp}" && sync -- "${tmp}" 2>/dev/null && mv -f -- "${tmp}" "${REPORT_FILE}"; then
    return 0
  fi
  rm -f -- "${tmp}"
  printf '%s: ERROR: cannot write the report %s\n' "${SCRIPT_NAME}" "${REPORT_FILE}" >&2
  return 1
}

usage() {
  cat <<EOF
Usage: ${SCRIPT_NAME} [OPTION]...

Convert this Enterprise Linux system (CentOS Linux 8, CentOS Stream 8/9/10,
Rocky Linux, Oracle Linux, RHEL 8/9/10) to AlmaLinux of the same major version.
Everything is downloaded and signature-checked before the first change; a
failure before that point restores the backup; an interrupted run resumes
when started again.

Options:
  --check            Preflight only: print blockers, warnings, third-party
                     repositories and what would change; change nothing.
                     Exit status 0 when ready.
  -y, --yes          Do not ask for confirmation.
  --mirror URL       Use this AlmaLinux mirror (https://host/path or
                     file:///absolute/path) laid out like the official tree:
                     URL/RPM-GPG-KEY-AlmaLinux-<major>, URL/<major>/BaseOS/<arch>/os/
                     (default: ${OFFICIAL_MIRROR}).
                     https://user:password@host/path logs in: the password is
                     never printed or logged, and kept only in a root-only file
                     while the migration runs (the process list shows it).
  --allow-insecure-http
                     Also accept an http:// mirror. Anyone on the network path
                     can then replay old repository metadata (old, vulnerable
                     builds); the report and the log say so.
  --fingerprint FPR  Trust the key with this fingerprint instead of the pinned
                     AlmaLinux key (for a mirror signed with your own key).
  --allow-remove PKG Let the release swap remove the installed package PKG
                     (one that depends on the source's release packages, as a
                     vendor agent requiring centos-release does). Without it,
                     such a removal is a blocker. Repeatable.
  --migrate-locked   Also migrate packages locked with dnf's versionlock
                     plugin, and rewrite their lock entries to the installed
                     AlmaLinux builds. Without it, locked packages keep their
                     builds (a locked release package is a blocker).
  --log FILE         Write the whole transcript to FILE
                     (default: ${DEFAULT_LOG}; --check logs only when given).
  --report FILE      Also write the result as a JSON document to FILE
                     (mode 0600, replaced atomically), with --check too: the
                     status, the exit code, every finding with its stable id,
                     and the packages to install, remove and downgrade.
  --exit-codes       Print the exit codes (code, name, meaning) and exit.
  --list-findings    Print every finding the checks can report (id, level,
                     title, what to do) and exit.
  --version          Print the version and exit.
  -h, --help         Print this help and exit.

Files:
  ${WORK_DIR}/state        progress (a re-run resumes from it)
  ${WORK_DIR}/backup-*/    saved repository and release files, package list

Exit codes:
EOF
  print_exit_codes | awk -F'\t' '{ printf "  %s  %s\n", $1, $3 }'
}

#######################################
# Failure handling.
#######################################

# A failure inside a redirected block ({ ...; } >file, a pipeline) must
# still reach the terminal and the log: points stdout and stderr back at the
# logging tee (fd 7) once logging has started.
to_console() {
  if [[ -n "${TEE_PID}" ]] && { true >&7; } 2>/dev/null; then
    exec >&7 2>&7
  fi
}

# Names the file systems of the migration's files that are full (a write
# that failed there is why the run stopped).
full_filesystems() {
  local path mount
  local -A seen=()
  for path in "${WORK_DIR}" "${BACKUP_DIR}" "$(dirname -- "${LOG_FILE}")" "${TMPDIR:-/tmp}"; do
    [[ -n "${path}" && -d "${path}" ]] || continue
    mount="$(df -P -- "${path}" 2>/dev/null | awk 'NR == 2 { print $6 }')" || mount=""
    [[ -n "${mount}" && -z "${seen[${mount}]:-}" ]] || continue
    seen["${mount}"]=1
    if [[ "$(free_mb "${path}")" == 0 ]]; then
      printf '%s: the file system of %s (mounted on %s) is full: free space there, then run the script again.\n' \
        "${SCRIPT_NAME}" "${path}" "${mount}"
    fi
  done
}

# Exits with a given code and message; no restore (nothing was changed).
bail() {
  local code="$1"
  shift
  REPORT_MESSAGE="$*"
  to_console
  printf '%s: ERROR: %s\n' "${SCRIPT_NAME}" "$*" >&2
  exit "${code}"
}

# Says what went wrong and how to recover. Before the point of no return it
# restores the backup first; after it, it says how to resume.
die() {
  local message="$1"
  local hint="${2:-}"
  # A second signal must not cut the restore short.
  trap - ERR
  trap '' INT TERM HUP
  REPORT_MESSAGE="${message}"
  to_console
  printf '%s: ERROR: %s\n' "${SCRIPT_NAME}" "${message}" >&2
  full_filesystems >&2
  case "${PHASE}" in
    post)
      printf '%s: The system is partly migrated (stopped at step "%s").\n' \
        "${SCRIPT_NAME}" "${STATE[STEP]:-?}" >&2
      [[ -n "${hint}" ]] && printf '%s: %s\n' "${SCRIPT_NAME}" "${hint}" >&2
      printf '%s: Fix the cause, then run the script again (same options, -y) to resume.\n' \
        "${SCRIPT_NAME}" >&2
      printf '%s: Saved files: %s; log: %s\n' "${SCRIPT_NAME}" \
        "${STATE[BACKUP_DIR]:-none}" "${LOG_FILE}" >&2
      exit "${EXIT_RESUME}"
      ;;
    pre)
      restore_backup
      discard_work
      [[ -n "${hint}" ]] && printf '%s: %s\n' "${SCRIPT_NAME}" "${hint}" >&2
      printf '%s: Nothing was changed: the system is as before (repository and release files restored byte-identical).\n' \
        "${SCRIPT_NAME}" >&2
      exit "${EXIT_RESTORED}"
      ;;
    *)
      [[ -n "${hint}" ]] && printf '%s: %s\n' "${SCRIPT_NAME}" "${hint}" >&2
      printf '%s: Nothing was changed.\n' "${SCRIPT_NAME}" >&2
      exit "${EXIT_BLOCKED}"
      ;;
  esac
}

on_err() {
  local status="$1"
  local line="$2"
  local command="$3"
  # A failing command substitution runs the trap in its subshell too; only the
  # main shell decides.
  if [[ "${BASHPID}" != "$$" ]]; then
    exit "${status}"
  fi
  die "command failed (status ${status}) at line ${line}: ${command}"
}

on_signal() {
  die "interrupted by signal $1"
}

cleanup() {
  local code="$?"
  write_report "${code}" || true
  if [[ -n "${CHECK_TMP}" && -d "${CHECK_TMP}" ]]; then
    gpgconf --homedir "${CHECK_TMP}/gnupg" --kill all >/dev/null 2>&1 || true
    rm -rf -- "${CHECK_TMP}"
  fi
  stop_logging
}

# Lets tee write the last lines to the log, then ends it: tee ends when the
# last copy of its pipe is closed. Bash keeps copies of redirected
# descriptors (a die inside "{ ...; } >file" exits with one open), so every
# descriptor on the pipe is closed; a process that still holds one (a
# daemon started by a command) gets 5 seconds, then tee is killed: no exit
# waits forever, with the lock held. Changes TEE_PID.
stop_logging() {
  local link fd tries=0
  [[ -n "${TEE_PID}" ]] || return 0
  exec >&- 2>&- 7>&-
  if [[ -n "${TEE_PIPE}" ]]; then
    for link in /proc/"$$"/fd/*; do
      fd="${link##*/}"
      if [[ "$(readlink -- "${link}" 2>/dev/null)" == "${TEE_PIPE}" ]]; then
        exec {fd}>&-
      fi
    done
  fi
  while kill -0 "${TEE_PID}" 2>/dev/null && ((tries < 50)); do
    sleep 0.1
    tries=$((tries + 1))
  done
  kill -KILL "${TEE_PID}" 2>/dev/null || true
  wait "${TEE_PID}" 2>/dev/null || true
  [[ -z "${TEE_ERRORS}" ]] || rm -rf -- "${TEE_ERRORS%/*}"
  TEE_PID=""
}

#######################################
# State file: KEY=value lines, written atomically (temp, sync, rename, sync).
#######################################
# Reads the state file into STATE. A damaged, truncated or foreign state (see
# state_problems) stops the run before anything is done; before the point of
# no return nothing was changed, so it is discarded and the run starts over.
# Changes STATE.
state_load() {
  local problem
  [[ -r "${STATE_FILE}" ]] || return 0
  problem="$(state_problems)" || true
  if [[ -n "${problem}" ]]; then
    if [[ "${STATE[PONR]:-}" == "0" ]] || grep -qx 'PONR=0' -- "${STATE_FILE}"; then
      STATE=()
      if ((CHECK_ONLY == 1)); then
        warn "the state file ${STATE_FILE} ${problem}; it is from a run that changed nothing: ignored (a migration discards it)"
        return 0
      fi
      warn "the state file ${STATE_FILE} ${problem}; it is from a run that changed nothing: discarded, starting over"
      rm -f -- "${STATE_FILE}"
      return 0
    fi
    bail "${EXIT_BLOCKED}" "the state file ${STATE_FILE} ${problem}; nothing was run. Finish that migration with the script version and system that started it, restore the file from the log, or remove it if no migration was started. Nothing changed."
  fi
  state_read
  # A resume goes on with the saved mirror unless --mirror names another.
  if [[ "${STATE[PONR]:-0}" == "1" && "${STATE[MIRROR]:-}" == http://* ]] &&
    ((ALLOW_HTTP == 0 && MIRROR_GIVEN == 0)); then
    bail "${EXIT_USAGE}" "the interrupted migration uses the plain-http mirror ${STATE[MIRROR]}: pass --allow-insecure-http again, or --mirror with an https:// or file:/// mirror."
  fi
}

# The keys of a state file; every one is written by the first state_save.
readonly STATE_KEYS=(STEP PONR SOURCE_ID SOURCE_NAME SOURCE_VERSION_ID MAJOR ARCH
  MACHINE_ID SCRIPT_VERSION MIRROR FINGERPRINT SOURCE_PKGS TARGET_PKGS BACKUP_DIR
  UNSAFE_START THIRD_PARTY SOURCE_REPO_FILES REMOVALS KEEP_LOCKED MODULE_REMAPS)

# Fills STATE from the state file (unchecked: state_problems first). Changes STATE.
state_read() {
  local key value
  STATE=()
  while IFS='=' read -r key value; do
    [[ " ${STATE_KEYS[*]} " == *" ${key} "* ]] && STATE["${key}"]="${value}"
  done <"${STATE_FILE}"
}

# The machine's identity as the state file records it (empty if none).
machine_id() {
  local id=""
  [[ -r /etc/machine-id ]] && read -r id </etc/machine-id 2>/dev/null
  [[ "${id}" =~ ^[0-9a-f]{32}$ ]] && printf '%s' "${id}"
  return 0
}

# Prints, and fails with, what is wrong with the state file: a value that
# fails state_validate, a line that is no KEY=value of a known key, a
# missing key or last newline (a truncated file), an unknown step, or a
# system other than the one running now (os-release ID and major version,
# machine-id, architecture) or another script version. Changes STATE.
state_problems() {
  local key value line problem i cut=0
  local -a found=() lines
  STATE=()
  mapfile -t lines <"${STATE_FILE}"
  # Written lines all end in a newline: one without is what is left of one.
  if ((${#lines[@]} > 0)) && [[ "$(tail -c 1 -- "${STATE_FILE}" | od -An -tx1)" != *0a* ]]; then
    cut=1
  fi
  for ((i = 0; i < ${#lines[@]}; i++)); do
    line="${lines[i]}"
    if ((cut == 1 && i == ${#lines[@]} - 1)); then
      found+=("its last line ($(printf '%q' "$(redact "${line}")")) is cut short")
      break
    fi
    key="${line%%=*}"
    value="${line#*=}"
    if [[ "${line}" != *=* || " ${STATE_KEYS[*]} " != *" ${key} "* ]]; then
      found+=("line $(printf '%q' "$(redact "${line}")") is not a setting of this script")
      continue
    fi
    if ! problem="$(state_validate "${key}" "${value}")"; then
      printf 'is damaged: %s\n' "${problem}"
      return 1
    fi
    STATE["${key}"]="${value}"
  done
  for key in "${STATE_KEYS[@]}"; do
    [[ -n "${STATE[${key}]+set}" ]] || found+=("${key} is missing")
  done
  if ((${#found[@]} > 0)); then
    printf 'is damaged or truncated: %s\n' "$(printf '%s; ' "${found[@]}" | sed -e 's/; $//')"
    return 1
  fi
  mapfile -t found < <(state_system_differences)
  ((${#found[@]} > 0)) || return 0
  printf 'is not this system'"'"'s: %s\n' "$(printf '%s; ' "${found[@]}" | sed -e 's/; $//')"
  return 1
}

# What differs between the system and script version the state file records
# and the running ones, one line each.
state_system_differences() {
  local id version major arch machine
  id="$(os_release_value ID 2>/dev/null)" || id=""
  version="$(os_release_value VERSION_ID 2>/dev/null)" || version=""
  major="${version%%.*}"
  arch="$(uname -m)"
  machine="$(machine_id)"
  if [[ "${STATE[SCRIPT_VERSION]}" != "${VERSION}" ]]; then
    printf 'written by %s %s, this is version %s\n' "${SCRIPT_NAME}" \
      "${STATE[SCRIPT_VERSION]:-(unknown)}" "${VERSION}"
  fi
  # The swap makes the system AlmaLinux: either ID is this system's.
  if [[ "${id}" != "${STATE[SOURCE_ID]}" && "${id}" != "almalinux" ]]; then
    printf 'made on ID=%s, this system is ID=%s (%s)\n' "${STATE[SOURCE_ID]}" "${id:-none}" "${OS_RELEASE}"
  fi
  if [[ "${major}" != "${STATE[MAJOR]}" ]]; then
    printf 'made on major version %s, this system is %s (VERSION_ID=%s in %s)\n' \
      "${STATE[MAJOR]}" "${major:-none}" "${version:-none}" "${OS_RELEASE}"
  fi
  if [[ "${arch}" != "${STATE[ARCH]}" ]]; then
    printf 'made on architecture %s, this system is %s\n' "${STATE[ARCH]}" "${arch}"
  fi
  if [[ -n "${STATE[MACHINE_ID]}" && "${machine}" != "${STATE[MACHINE_ID]}" ]]; then
    printf 'made on machine-id %s, this system is %s (/etc/machine-id)\n' \
      "${STATE[MACHINE_ID]}" "${machine:-none}"
  fi
}

# Checks one value of the state file as strictly as the option or detection
# it came from: it ends up in shell arithmetic (where a[$(cmd)] runs cmd),
# command lines and repository files. Prints the problem and fails.
state_validate() {
  local key="$1"
  local value="$2"
  local ok=0 problem=""
  local name='[A-Za-z0-9._+-]+'
  local steps=" preflight done ${PRE_STEPS[*]} ${POST_STEPS[*]} "
  case "${key}" in
    STEP)
      if [[ -n "${value}" && "${steps}" == *" ${value} "* ]]; then
        ok=1
      elif [[ "${value}" =~ ^[a-z-]+$ ]]; then
        problem="no step of ${SCRIPT_NAME} ${VERSION} has that name (another version of the script?)"
      fi
      ;;
    PONR) [[ "${value}" == [01] ]] && ok=1 ;;
    SOURCE_ID) [[ -n "${value}" && " ${SUPPORTED_IDS} " == *" ${value} "* ]] && ok=1 ;;
    MAJOR) [[ -n "${value}" && " ${SUPPORTED_MAJORS} " == *" ${value} "* ]] && ok=1 ;;
    ARCH) [[ -n "${value}" && " ${SUPPORTED_ARCHES} " == *" ${value} "* ]] && ok=1 ;;
    MIRROR)
      if problem="$(mirror_problem "${value}")"; then
        ok=0
      elif [[ "${value}" =~ ^https?://[^/]*@ ]]; then
        problem="credentials are never saved"
      else
        ok=1
      fi
      ;;
    FINGERPRINT) [[ -z "${value}" || "${value}" =~ ^[0-9A-F]{40}$ ]] && ok=1 ;;
    SOURCE_PKGS | TARGET_PKGS | REMOVALS | KEEP_LOCKED) [[ "${value}" =~ ^(${name}( ${name})*)?$ ]] && ok=1 ;;
    MODULE_REMAPS) [[ "${value}" =~ ^(${name}:${name}:${name}( ${name}:${name}:${name})*)?$ ]] && ok=1 ;;
    BACKUP_DIR) [[ -z "${value}" || "${value}" =~ ^${WORK_DIR}/backup-[0-9]{8}T[0-9]{6}Z$ ]] && ok=1 ;;
    UNSAFE_START) [[ "${value}" =~ ^[0-9]*$ ]] && ok=1 ;;
    SOURCE_VERSION_ID) [[ "${value}" =~ ^[0-9]+(\.[0-9]+)*$ ]] && ok=1 ;;
    MACHINE_ID) [[ -z "${value}" || "${value}" =~ ^[0-9a-f]{32}$ ]] && ok=1 ;;
    SCRIPT_VERSION) [[ "${value}" =~ ^[0-9A-Za-z.+~-]+$ ]] && ok=1 ;;
    SOURCE_NAME | THIRD_PARTY) [[ "${value}" != *[[:cntrl:]]* ]] && ok=1 ;;
    SOURCE_REPO_FILES) [[ "${value}" =~ ^( */etc/yum\.repos\.d/[^/[:space:]]+\.repo)*\ *$ ]] && ok=1 ;;
  esac
  if ((ok == 0)); then
    printf '%s has an invalid value (%s)%s\n' "${key}" "$(printf '%q' "$(redact "${value}")")" \
      "${problem:+: ${problem}}"
    return 1
  fi
}

state_save() {
  local key
  local tmp="${STATE_FILE}.tmp"
  while (($# >= 2)); do
    STATE["$1"]="$2"
    shift 2
  done
  {
    for key in "${!STATE[@]}"; do
      printf '%s=%s\n' "${key}" "${STATE[${key}]}"
    done
  } >"${tmp}"
  sync -- "${tmp}"
  mv -f -- "${tmp}" "${STATE_FILE}"
  sync -- "${WORK_DIR}"
}

#######################################
# Small utilities.
#######################################

# Escapes a string for the replacement part of a sed s||| command.
sed_escape() {
  printf '%s' "$1" | sed -e 's/[\\&|]/\\&/g'
}

# Decodes the %XX escapes of a URL's user name or password.
url_decode() {
  local value="${1//\\/\\\\}"
  printf '%b' "${value//%/\\x}"
}

# The mirror as people see it: with its user name, never its password.
mirror_shown() {
  if [[ -n "${MIRROR_AUTH}" ]]; then
    printf '%s://%s:***@%s' "${MIRROR%%://*}" "${MIRROR_AUTH%%:*}" "${MIRROR#*://}"
  else
    printf '%s' "${MIRROR}"
  fi
}

# Prints the words given with the password of every user:password@ in a URL
# replaced by ***.
redact() {
  printf '%s' "$*" | sed -E 's#(://[^/:@[:space:]]*):[^/@[:space:]]*@#\1:***@#g'
}

# curl's options: no ~/.curlrc (-q only works as the first argument), https
# only (and http with --allow-insecure-http), on redirects too, and bounded in
# time. A redirect never reaches a local file: file:// mirrors are read
# directly, not through curl. Credentials come on stdin (curl_config), not on
# the command line.
curl_opts() {
  local protos="=https"
  if ((ALLOW_HTTP == 1)); then
    protos+=",http"
  fi
  printf '%s\n' -q -fsSL --proto "${protos},file" --proto-redir "${protos}" \
    --connect-timeout "${CURL_CONNECT_SECONDS}" --max-time "${CURL_MAX_SECONDS}" \
    --speed-limit 1 --speed-time "${CURL_STALL_SECONDS}" \
    --retry 2 --retry-max-time "${CURL_STALL_SECONDS}"
  if [[ -n "${MIRROR_AUTH}" ]]; then
    printf '%s\n' --config -
  fi
}

# curl configuration read from stdin: the mirror's user and password.
curl_config() {
  local auth
  [[ -n "${MIRROR_AUTH}" ]] || return 0
  auth="$(url_decode "${MIRROR_AUTH}")"
  auth="${auth//\\/\\\\}"
  printf 'user = "%s"\n' "${auth//\"/\\\"}"
}

# The first probe of the mirror that got no usable answer (no connection, a
# stall, a refused redirect: anything but an HTTP error status), kept in a
# file of the preflight's scratch directory so that probes run in subshells
# share it. Later probes fail at once with it instead of each waiting out its
# own time bound, and the preflight reports it (check_mirror_failure).
# Nothing is kept while there is no scratch directory.
mirror_failure_file() {
  [[ -n "${CHECK_TMP}" && -d "${CHECK_TMP}" ]] || return 1
  printf '%s/mirror-failure' "${CHECK_TMP}"
}

# Prints the mirror's first failure ("cannot download URL: why"); false when
# there was none.
mirror_failure() {
  local file
  file="$(mirror_failure_file)" && [[ -s "${file}" ]] && cat -- "${file}"
}

# Keeps $1 as the mirror's failure unless one is kept already.
note_mirror_failure() {
  local file
  file="$(mirror_failure_file)" || return 0
  [[ -s "${file}" ]] || printf '%s\n' "$1" >"${file}"
}

# Downloads a URL (file:// read directly, https/http with curl) into a file,
# at most $3 bytes. On a failure it says, on stderr, which URL and why; one
# that got no usable answer is kept (note_mirror_failure), and once one is
# kept it fails at once with it.
fetch() {
  local url="$1"
  local out="$2"
  local max="$3"
  local err="" rc=0 size
  local -a opts
  case "${url}" in
    file://*)
      if [[ ! -f "${url#file://}" || ! -r "${url#file://}" ]]; then
        printf 'cannot read %s: no such file\n' "${url}" >&2
        return 1
      fi
      head -c "$((max + 1))" -- "${url#file://}" >"${out}" || rc=$?
      ;;
    *)
      if err="$(mirror_failure)"; then
        printf '%s\n' "${err}" >&2
        return 1
      fi
      mapfile -t opts < <(curl_opts)
      err="$({ curl "${opts[@]}" --max-filesize "${max}" -- "${url}" < <(curl_config) |
        head -c "$((max + 1))" >"${out}"; } 2>&1)" || rc=$?
      ;;
  esac
  size="$(stat -c %s -- "${out}" 2>/dev/null || printf 0)"
  if ((size > max)); then
    printf 'cannot download %s: larger than %s bytes, not a key file\n' "${url}" "${max}" >&2
    return 1
  fi
  if ((rc != 0)); then
    err="cannot download ${url}: ${err:-exit status ${rc}}"
    err="${err//$'\n'/ }"
    # An HTTP error status (22) or a file over the bound (63) is an answer.
    ((rc == 22 || rc == 63)) || [[ "${url}" == file://* ]] || note_mirror_failure "${err}"
    printf '%s\n' "${err}" >&2
    return 1
  fi
}

# True (0) when the mirror has the URL, 1 when it answers that it has not (an
# HTTP error status), 2 when it gives no usable answer (kept, see
# note_mirror_failure, or kept earlier).
url_exists() {
  local url="$1" err="" rc=0
  local -a opts
  case "${url}" in
    file://*) [[ -r "${url#file://}" ]] ;;
    *)
      mirror_failure >/dev/null && return 2
      mapfile -t opts < <(curl_opts)
      err="$(curl "${opts[@]}" -o /dev/null -- "${url}" < <(curl_config) 2>&1)" || rc=$?
      ((rc != 0)) || return 0
      ((rc != 22)) || return 1
      err="cannot download ${url}: ${err:-exit status ${rc}}"
      note_mirror_failure "${err//$'\n'/ }"
      return 2
      ;;
  esac
}

repo_url() {
  printf '%s/%s/%s/%s/os/' "${MIRROR}" "${MAJOR}" "$1" "${ARCH}"
}

now_ns() {
  date +%s%N
}

free_mb() {
  df -Pk -- "$1" 2>/dev/null | awk 'NR == 2 { printf "%d", $4 / 1024 }'
}

# Makes a private directory under TMPDIR (default /tmp) and stores its path
# in the variable named by $1; a TMPDIR that is missing, not writable or
# full stops the run, named, before anything is changed. Changes that
# variable.
scratch_dir() {
  local tmp="${TMPDIR:-/tmp}" dir=""
  if ! dir="$(mktemp -d 2>/dev/null)" || ! printf 'probe\n' 2>/dev/null >"${dir}/probe"; then
    [[ -n "${dir}" ]] && rm -rf -- "${dir}"
    bail "${EXIT_BLOCKED}" "cannot write to the temporary directory ${tmp} (TMPDIR): it is missing, not writable or full. Fix it or set TMPDIR to a writable directory. Nothing changed."
  fi
  rm -f -- "${dir}/probe"
  printf -v "$1" '%s' "${dir}"
}

# gpg on a throwaway home: no gpg.conf, no agent, nothing of the host's keys.
gpg_tmp() {
  local home="$1"
  shift
  gpg --batch --no-options --no-autostart --homedir "${home}" "$@"
}

# Prints the fingerprints of the primary keys in a GnuPG home.
key_fingerprints() {
  local home="$1"
  gpg_tmp "${home}" --with-colons --list-keys 2>/dev/null |
    awk -F: '/^pub:/ { want = 1; next } /^fpr:/ && want { print $10; want = 0 }'
}

# The fingerprints this run accepts, one per line.
accepted_fingerprints() {
  if [[ -n "${CUSTOM_FPR}" ]]; then
    printf '%s\n' "${CUSTOM_FPR}"
    return
  fi
  case "${MAJOR}" in
    8) printf '%s\n' "${PINNED_FPR_8}" "${PREVIOUS_FPR_8}" ;;
    9) printf '%s\n' "${PINNED_FPR_9}" ;;
    10) printf '%s\n' "${PINNED_FPR_10}" ;;
    *) return 1 ;;
  esac
}

# Checks a downloaded key file: imported into the empty GnuPG home $2, it
# must hold only accepted primary keys, and each subkey in the file must carry
# a valid binding signature from its primary key. gpg silently drops a subkey
# without one, so the file's raw packets are counted against what was
# imported (an older rpm would trust a subkey someone appended). Prints a
# reason and fails when the file is refused; on success the home holds the
# accepted key(s), to be exported clean.
key_matches() {
  local file="$1"
  local home="$2"
  local packets other fprs fpr accepted raw_primary raw_subkeys bound
  accepted=" $(accepted_fingerprints | paste -sd' ' -) "
  if ! packets="$(gpg_tmp "${home}" --list-packets -- "${file}" 2>/dev/null | grep '^:')" ||
    [[ -z "${packets}" ]]; then
    printf 'no OpenPGP public key in %s\n' "$(key_url)"
    return 1
  fi
  other="$(grep -v -e '^:public key packet:' -e '^:public sub key packet:' \
    -e '^:user ID packet:' -e '^:signature packet:' -e '^:attribute packet:' <<<"${packets}" |
    sed -e 's/:$//' -e 's/^://' | sort -u | paste -sd',' -)" || true
  if [[ -n "${other}" ]]; then
    printf '%s holds more than public keys (%s)\n' "$(key_url)" "${other}"
    return 1
  fi
  raw_primary="$(grep -c '^:public key packet:' <<<"${packets}")" || true
  raw_subkeys="$(grep -c '^:public sub key packet:' <<<"${packets}")" || true
  if ! gpg_tmp "${home}" --import -- "${file}" >/dev/null 2>&1; then
    printf 'gpg cannot import the key file %s\n' "$(key_url)"
    return 1
  fi
  fprs="$(key_fingerprints "${home}")" || true
  while read -r fpr; do
    if [[ -z "${fpr}" || "${accepted}" != *" ${fpr} "* ]]; then
      printf '%s holds key %s, which is not the trusted key (trusted:%s)\n' \
        "$(key_url)" "${fpr:-?}" "${accepted% }"
      return 1
    fi
  done <<<"${fprs}"
  if [[ -z "${fprs}" ]] || (($(wc -l <<<"${fprs}") != raw_primary)); then
    printf '%s holds %s primary key(s), of which gpg imported %s\n' \
      "$(key_url)" "${raw_primary}" "$(grep -c . <<<"${fprs}" || true)"
    return 1
  fi
  # A subkey counts once, when one of its signatures is a good (!) subkey
  # binding (class 18) made by the primary key it is listed under.
  bound="$(gpg_tmp "${home}" --with-colons --check-signatures 2>/dev/null | awk -F: '
    /^pub:/ { primary = $5; in_sub = 0; next }
    /^sub:/ { in_sub = 1; counted = 0; next }
    /^sig:/ && in_sub && !counted && $2 == "!" && $11 ~ /^18/ && $5 == primary { n++; counted = 1 }
    END { print n + 0 }')"
  if ((bound != raw_subkeys)); then
    printf '%s holds %s subkey(s), %s of them bound to the trusted key by a valid signature: a subkey without one was added by someone else\n' \
      "$(key_url)" "${raw_subkeys}" "${bound}"
    return 1
  fi
}

# What to do about a refused key. A key from the official mirror that is not
# the pinned one is never to be trusted by hand, so --fingerprint is only
# suggested for a mirror of one's own.
key_refusal_hint() {
  if [[ "${MIRROR}" == "${OFFICIAL_MIRROR}" ]]; then
    printf 'The official AlmaLinux mirror never serves another key: something between this host and it (a proxy, DNS, a captive portal) may be tampering with the download. Do not override this; find the cause, then re-run.'
  elif [[ -n "${CUSTOM_FPR}" ]]; then
    printf 'The mirror'"'"'s key file must hold only the key given with --fingerprint (and its bound subkeys): check the key file published on the mirror.'
  else
    printf 'Use a mirror of the official AlmaLinux tree. If your organisation signs this mirror with its own key, pass --fingerprint with that key'"'"'s fingerprint as your organisation publishes it, never one copied from this message.'
  fi
}

key_url() {
  printf '%s/RPM-GPG-KEY-AlmaLinux-%s' "${MIRROR}" "${MAJOR}"
}

key_file() {
  printf '%s/RPM-GPG-KEY-AlmaLinux-%s' "${WORK_DIR}" "${MAJOR}"
}

# Enabled repositories of a repo file, one "id" per line.
enabled_repo_ids() {
  awk '
    /^[ \t]*\[/ { if (id != "" && on) print id
                  id = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", id); on = 1; next }
    /^[ \t]*enabled[ \t]*=/ { v = $0; sub(/^[^=]*=[ \t]*/, "", v)
                              on = (v ~ /^(1|yes|true|True|on)/) }
    END { if (id != "" && on) print id }' "$1"
}

installed_names() {
  rpm -q --qf '%{NAME}\n' "$@" 2>/dev/null | grep -v '[[:space:]]' || true
}

# Filters "NAME rest" lines (stdin) down to "rest" for packages that are not
# installed side by side by design: keys, kernels (kernel-uek-devel,
# kernel-rt-core, ...) and whatever provides an installonly capability
# (kernel modules, for one). Two versions of those are no broken transaction.
without_installonly() {
  {
    rpm -q --whatprovides --qf '%{NAME}\n' 'installonlypkg(kernel)' \
      'installonlypkg(kernel-module)' 'installonlypkg(vm)' 'multiversion(kernel)' \
      2>/dev/null | grep -v '[[:space:]]' || true
    printf '%s\n' '--'
    cat
  } | awk '$0 == "--" && !body { body = 1; next }
      !body { skip[$1] = 1; next }
      $1 == "gpg-pubkey" || $1 ~ /^kernel/ || ($1 in skip) { next }
      { sub(/^[^ ]+ /, ""); print }'
}

# dnf options: only the AlmaLinux repositories, our cache and configuration,
# no plugins. The trust settings are the caller's, per call ($1):
#   pre   resolve and download only (any time): no package signature check,
#         since with one dnf imports keys into the rpm database; rpmkeys
#         checks every package against the verified key instead. Metadata
#         signatures (repo_gpgcheck) stay on: --nogpgcheck would turn them
#         off too. Logs and history go to the work directory.
#   post  change the system, from the verified cache only (--cacheonly: no
#         download; a missing package fails the command), gpgcheck on.
#   check --check: resolve only, everything dnf writes in CHECK_TMP (removed
#         on exit); no package signature check (nothing is downloaded).
# Version-locked packages kept at their builds (KEEP_LOCKED) are excluded:
# --noplugins leaves the versionlock plugin out, so that is done here.
dnf_opts() {
  local mode="$1"
  local name
  if [[ "${mode}" == "check" ]]; then
    printf '%s\n' --assumeno --noplugins "--config=$(check_dnf_dir)/dnf.conf" \
      "--releasever=${MAJOR}" "--setopt=reposdir=$(check_dnf_dir)/repos.d" \
      "--setopt=cachedir=$(check_dnf_dir)/cache" "--setopt=logdir=$(check_dnf_dir)/log" \
      "--setopt=persistdir=$(check_dnf_dir)/persist" --setopt=clean_requirements_on_remove=False \
      --setopt=gpgcheck=False '--setopt=*.gpgcheck=False' --setopt=localpkg_gpgcheck=False
    for name in "${KEEP_LOCKED[@]}"; do
      printf '%s\n' "--exclude=${name}"
    done
    return 0
  fi
  printf '%s\n' -y --noplugins "--config=${DNF_CONF}" "--releasever=${MAJOR}" \
    "--setopt=reposdir=${REPOS_DIR}" "--setopt=cachedir=${CACHE_DIR}" \
    --setopt=keepcache=True --setopt=clean_requirements_on_remove=False
  for name in "${KEEP_LOCKED[@]}"; do
    printf '%s\n' "--exclude=${name}"
  done
  case "${mode}" in
    pre)
      printf '%s\n' --setopt=gpgcheck=False '--setopt=*.gpgcheck=False' \
        --setopt=localpkg_gpgcheck=False "--setopt=logdir=${WORK_DIR}/dnf-log" \
        "--setopt=persistdir=${WORK_DIR}/dnf-persist"
      ;;
    post)
      printf '%s\n' --setopt=gpgcheck=True '--setopt=*.gpgcheck=True' \
        --setopt=localpkg_gpgcheck=True --cacheonly
      ;;
  esac
}

# Runs dnf with the trust settings of $1 (pre, post or check, see dnf_opts).
# In a container, the transactions (post) run with RPM_HOME_DIR as HOME,
# whose .rpmmacros keeps rpm off /proc and /sys.
dnf_run() {
  local mode="$1"
  local -a opts env=()
  shift
  [[ "${mode}" == "pre" || "${mode}" == "post" || "${mode}" == "check" ]] ||
    die "internal error: dnf_run needs pre, post or check, got '${mode}'"
  mapfile -t opts < <(dnf_opts "${mode}")
  if [[ "${mode}" == "post" && -n "${CONTAINER}" ]]; then
    write_container_rpm_macros
    env=(env "HOME=${RPM_HOME_DIR}")
  fi
  run "${env[@]}" dnf "${opts[@]}" "$@"
}

# The filesystem package owns /proc and /sys; in a container they are the
# host's, and rpm fails the whole transaction when it cannot set their
# modes ("unpacking of archive failed on file /sys"). rpm leaves alone what
# %_netsharedpath lists: RPM_HOME_DIR/.rpmmacros adds them to it (after
# root's own ~/.rpmmacros, and whatever the system's macros set), for the
# migration's transactions only; nothing of the system's changes.
write_container_rpm_macros() {
  local current
  current="$(rpm --eval '%{?_netsharedpath}' 2>/dev/null)" || current=""
  [[ -d "${RPM_HOME_DIR}" ]] || mkdir -m 0700 -- "${RPM_HOME_DIR}"
  {
    [[ -r "${HOME:-/root}/.rpmmacros" ]] && cat -- "${HOME:-/root}/.rpmmacros"
    printf '%%_netsharedpath %s\n' "${current:+${current}:}${CONTAINER_NETSHARED_PATHS}"
  } >"${RPM_HOME_DIR}/.rpmmacros.tmp"
  mv -f -- "${RPM_HOME_DIR}/.rpmmacros.tmp" "${RPM_HOME_DIR}/.rpmmacros"
}

# Where --check lets dnf resolve the swap transaction (inside CHECK_TMP).
check_dnf_dir() {
  printf '%s/dnf' "${CHECK_TMP}"
}

# Writes the migration's dnf.conf ($1, default DNF_CONF): gpgcheck and TLS verification on, EL's
# shipped resolution settings, and the host's proxy settings ([main] of
# /etc/dnf/dnf.conf) carried over; nothing else of the host's.
write_dnf_conf() {
  local conf="${1:-${DNF_CONF}}"
  (
    umask 077
    {
      printf '%s\n' '[main]' gpgcheck=1 sslverify=1 best=True skip_if_unavailable=False
      # A mirror that stops sending is given up as curl's downloads are:
      # under minrate bytes/s for timeout seconds, a few retries, then dnf fails
      # (before the point of no return: nothing changed).
      printf '%s\n' "timeout=${CURL_STALL_SECONDS}" "minrate=${DNF_MIN_RATE}" "retries=${DNF_RETRIES}"
      if [[ -r "${HOST_DNF_CONF}" ]]; then
        awk '/^[ \t]*\[/ { main = ($0 ~ /^[ \t]*\[main\][ \t]*$/); next }
             main && /^[ \t]*proxy(_username|_password|_auth_method)?[ \t]*=/ {
               sub(/^[ \t]+/, ""); print }' "${HOST_DNF_CONF}"
      fi
    } >"${conf}.tmp"
  )
  mv -f -- "${conf}.tmp" "${conf}"
}

# The package files in the cache, one "inode size mtime path" line each.
cached_packages() {
  find "${CACHE_DIR}" -name '*.rpm' -type f -printf '%i %s %T@ %p\n' | sort -k4
}

# A temporary rpm database holding only the verified key: what rpmkeys checks
# signatures against (the host's database trusts every vendor's key).
make_keyring() {
  rm -rf -- "${KEYRING_DIR}"
  mkdir -p -- "${KEYRING_DIR}"
  run rpmkeys --dbpath "${KEYRING_DIR}" --import "$(key_file)" ||
    die "cannot load the verified AlmaLinux key into a temporary keyring"
}

# Checks the signature of every cached package not checked before against
# the verified key; the good ones join VERIFIED_LIST. If one is bad, the bad
# ones are named, all new files leave the cache (nothing can install them)
# and the run stops (die: restore before the point of no return, resume
# after it).
verify_new_packages() {
  local out bad line
  local -a lines files
  [[ -d "${KEYRING_DIR}" ]] || make_keyring
  [[ -f "${VERIFIED_LIST}" ]] || : >"${VERIFIED_LIST}"
  mapfile -t lines < <(cached_packages | grep -vxF -f "${VERIFIED_LIST}" || true)
  ((${#lines[@]} > 0)) || return 0
  files=()
  for line in "${lines[@]}"; do
    files+=("${line#* * * }")
  done
  out="$(LC_ALL=C run rpmkeys --dbpath "${KEYRING_DIR}" --checksig -- "${files[@]}" 2>&1)" || true
  # Every line must end in "signatures OK": "digests OK" alone means unsigned.
  bad="$(printf '%s\n' "${out}" | grep -v ': digests signatures OK$' | grep -v '^+ ' || true)"
  if [[ -n "${bad}" ]]; then
    rm -f -- "${files[@]}"
    die "package signature check failed (unsigned, tampered or signed by another key than the verified one); not installed:
$(printf '%s\n' "${bad}" | sed -e "s|${CACHE_DIR}/[^ :]*/||g" -e 's/^/  /')" \
      "The mirror serves packages that are not AlmaLinux's; use a trustworthy mirror."
  fi
  printf '%s\n' "${lines[@]}" >>"${VERIFIED_LIST}"
}

# The signature key ids (16 hex digits, lower case) of the accepted keys.
accepted_keyids() {
  accepted_fingerprints | awk '{ print tolower(substr($0, length($0) - 15)) }'
}

# The names of the packages in the verified cache: what the AlmaLinux
# repositories have for this system.
verified_names() {
  local -a files
  [[ -f "${VERIFIED_LIST}" ]] || return 0
  mapfile -t files < <(sed -e 's/^[^ ]* [^ ]* [^ ]* //' -- "${VERIFIED_LIST}")
  ((${#files[@]} > 0)) || return 0
  rpm -qp --nosignature --qf '%{NAME}\n' -- "${files[@]}" 2>/dev/null | sort -u || true
}

# Of the packages named "$@", every installed copy that is not signed by an
# accepted key (NAME-VERSION-RELEASE.ARCH lines). Install-only packages
# (kernels) are left out: the old ones stay by design.
unmigrated_packages() {
  local ids
  (($# > 0)) || return 0
  ids=" $(accepted_keyids | paste -sd' ' -) "
  rpm -q --qf '%{NAME} %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH} %|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%|DSAHEADER?{%{DSAHEADER:pgpsig}}:{none}|}|\n' \
    -- "$@" 2>/dev/null | grep -v ' is not installed$' | without_installonly |
    awk -v ids="${ids}" 'index(ids, " " tolower($NF) " ") == 0 { print $1 }' || true
}

# Whether the release swap happened: almalinux-release installed, signed by
# an accepted key.
swap_happened() {
  rpm -q almalinux-release >/dev/null 2>&1 && [[ -z "$(unmigrated_packages almalinux-release)" ]]
}

# dnf's exit status proves nothing (dnf shell exits 0 when rpm skipped a
# package whose %pre failed): the rpm database must show that every package
# that should be AlmaLinux's by now is, or the run stops (resumable) naming
# the others. $1: "release" (the AlmaLinux release packages) or "all" (also
# every installed package the verified cache has a build of).
verify_migrated() {
  local scope="$1"
  local -a names bad
  read -r -a names <<<"${STATE[TARGET_PKGS]}"
  if [[ "${scope}" == "all" ]]; then
    mapfile -t -O "${#names[@]}" names < <(verified_names)
  fi
  mapfile -t bad < <(unmigrated_packages "${names[@]}")
  if ((${#bad[@]} > 0)); then
    NOT_MIGRATED=("${bad[@]}")
    die "dnf reported success, but the rpm database shows ${#bad[@]} package(s) still not migrated to AlmaLinux's builds: ${bad[*]}" \
      "rpm did not install their AlmaLinux builds (a failing scriptlet? read the dnf and rpm messages above)."
  fi
  log "rpm database checked: ${#names[@]} package name(s) that must be AlmaLinux's are (${scope})"
}

# dnf's first error about a download, from its messages on stdin: the
# "[MIRROR] file: why ... for URL" line of a package (which file, from where,
# why), else the first "Curl error ... for URL" line (metadata), else its
# first "Error:" line; nothing when there is none.
download_error() {
  awk '/^\[MIRROR\] / && mirror == "" { mirror = $0; sub(/^\[MIRROR\] +/, "", mirror) }
       /Curl error \(/ && curl == "" { curl = $0; sub(/^[ \t]*(- )?/, "", curl) }
       /^Error: / && error == "" { error = $0 }
       END { if (mirror != "") print mirror; else if (curl != "") print curl
             else if (error != "") print error }'
}

# dnf_run pre --downloadonly "$@", its messages shown as ever and kept; when
# it fails, DOWNLOAD_ERROR says which download failed and why (download_error),
# for the message that ends the run. Changes DOWNLOAD_ERROR.
dnf_download() {
  local messages rc=0 copier tries=0
  DOWNLOAD_ERROR=""
  messages="$(mktemp)"
  # Not a pipeline: dnf stays this shell's own child, as every dnf run is
  # (a signal and its exit status reach the script, not a subshell). tee
  # outlives a Ctrl-C as the logging tee does, and holds no lock (fd 9).
  dnf_run pre --downloadonly "$@" > >(copier_tee -- "${messages}") 2>&1 || rc=$?
  copier="$!"
  # tee ends once dnf's output is closed: its last lines come first.
  while kill -0 "${copier}" 2>/dev/null && ((tries < 50)); do
    sleep 0.1
    tries=$((tries + 1))
  done
  if ((rc != 0)); then
    DOWNLOAD_ERROR="$(redact "$(download_error <"${messages}")")"
  fi
  rm -f -- "${messages}"
  return "${rc}"
}

# After the point of no return: downloads what the dnf command "$@" needs
# (nothing when the verified cache has it), checks the new packages against
# the verified key, and only then may a "dnf_run post" run from the cache.
# Changes DOWNLOAD_ERROR (dnf_download).
download_verified() {
  dnf_download "$@" || return 1
  verify_new_packages
}

# Reads modules.yaml (modulemd documents) on stdin: "stream NAME STREAM" for
# each module stream (modulemd), "default NAME STREAM" for each default
# stream (modulemd-defaults). Only the top-level keys of a document's data
# count (a component or a dependency has a name, too).
modules_yaml_streams() {
  awk '
    function value(line) { sub(/^[^:]*:[ \t]*/, "", line); sub(/[ \t]+#.*$/, "", line)
                           gsub(/^["\047]|["\047][ \t]*$/, "", line); return line }
    function flush() {
      if (doc == "modulemd" && name != "" && stream != "") print "stream", name, stream
      if (doc == "modulemd-defaults" && module != "" && stream != "") print "default", module, stream
      doc = name = stream = module = ""; data = 0; indent = -1 }
    BEGIN { indent = -1 }
    /^(---|\.\.\.)/ { flush(); next }
    /^document:/ { doc = value($0); next }
    /^data:/ { data = 1; indent = -1; next }
    /^[^ \t#]/ { data = 0; next }
    data && /^ +[A-Za-z_-]+:/ {
      match($0, /^ +/)
      if (indent < 0) indent = RLENGTH
      if (RLENGTH != indent) next
      key = $0; sub(/^ +/, "", key); sub(/:.*/, "", key)
      if (key == "name") name = value($0)
      else if (key == "stream") stream = value($0)
      else if (key == "module") module = value($0)
    }
    END { flush() }'
}

# The AlmaLinux stream of module $1 for its enabled stream $2, from
# modules_yaml_streams lines on stdin: the stream itself when AlmaLinux has
# it; else the vendor's stream name in RHEL's spelling (Oracle's "ol" ->
# "rhel", "ol8" -> "rhel8"), else the module's default stream, else its only
# stream. Prints nothing and fails when the module has none of those.
module_stream_target() {
  awk -v n="$1" -v s="$2" '
    $1 == "stream" && $2 == n { if (!($3 in have)) { count++; only = $3 }; have[$3] = 1 }
    $1 == "default" && $2 == n { def = $3 }
    END {
      alt = s
      if (s in have) print s
      else if (sub(/^ol/, "rhel", alt) && (alt in have)) print alt
      else if (def != "" && (def in have)) print def
      else if (count == 1) print only
      else exit 1 }'
}

# Enabled EL8 module streams, "name stream" lines (/etc/dnf/modules.d).
enabled_module_streams() {
  local file
  shopt -s nullglob
  for file in "${MODULES_DIR}"/*.module; do
    awk -F= '{ sub(/^[ \t]+/, "", $1); sub(/[ \t]+$/, "", $1); gsub(/^[ \t]+|[ \t]+$/, "", $2) }
      $1 == "name" { name = $2 } $1 == "stream" { stream = $2 } $1 == "state" { state = $2 }
      END { if (state == "enabled" && name != "" && stream != "") print name, stream }' "${file}"
  done
  shopt -u nullglob
}

# Enabled EL8 module streams AlmaLinux names differently, from the mirror's
# module metadata (MODULE_STREAMS): "module from to" lines; "to" is "-" when
# the mirror has no counterpart (a blocker). Nothing when MODULE_STREAMS is
# empty (no module metadata read) or on EL9 and later.
module_remaps() {
  local name stream to
  ((MAJOR == 8)) && [[ -n "${MODULE_STREAMS}" ]] || return 0
  while read -r name stream; do
    to="$(module_stream_target "${name}" "${stream}" <<<"${MODULE_STREAMS}")" || to="-"
    [[ "${to}" == "${stream}" ]] || printf '%s %s %s\n' "${name}" "${stream}" "${to}"
  done < <(enabled_module_streams)
}

# Whether EL8 module $1 is enabled on stream $2 (/etc/dnf/modules.d).
module_enabled_on() {
  # Not grep -q: it could stop reading early, and pipefail would count that.
  enabled_module_streams | grep -xF -- "$1 $2" >/dev/null
}

# The module remaps of this migration (STATE[MODULE_REMAPS], "name:from:to"
# entries) whose module is not enabled on its AlmaLinux stream yet, one a
# line: what the swap transaction has to switch.
pending_module_remaps() {
  local entry name from to
  local -a remaps
  ((MAJOR == 8)) || return 0
  read -r -a remaps <<<"${STATE[MODULE_REMAPS]:-}"
  for entry in "${remaps[@]}"; do
    IFS=: read -r name from to <<<"${entry}"
    module_enabled_on "${name}" "${to}" || printf '%s\n' "${entry}"
  done
}

# dnf shell commands that switch the modules of the remaps in $@
# ("name:from:to"), the command the download resolved: the commands after
# them in the same shell resolve against the AlmaLinux stream, and dnf
# writes the new module state just before rpm runs the transaction (under
# tsflags=test only if no package changes: step_test_transaction). Not
# "module reset" and "module enable": within one dnf process, enable after
# reset fails ("Cannot enable multiple streams"); switch-to also allows the
# stream change (module_stream_switch).
module_switch_commands() {
  local entry name from to
  for entry in "$@"; do
    IFS=: read -r name from to <<<"${entry}"
    printf 'module switch-to %s:%s\n' "${name}" "${to}"
  done
}

# What identifies dnf's module state (/etc/dnf/modules.d): names, types,
# modes, times and contents.
module_state_digest() {
  [[ -d "${MODULES_DIR}" ]] || return 0
  find "${MODULES_DIR}" -printf '%P %y %m %T@\n' | sort
  find "${MODULES_DIR}" -type f -exec sha256sum -- {} + | sort
}

# Puts dnf's module state back from the copy in $1 (made with cp -a before a
# dnf command; none when there was no MODULES_DIR) if it differs from
# digest $2, and says so. Before the point of no return nothing may change.
# Changes the files in MODULES_DIR (back to what they were).
restore_module_state() {
  local copy="$1" before="$2"
  if [[ "$(module_state_digest)" != "${before}" ]]; then
    rm -rf -- "${MODULES_DIR}"
    [[ ! -d "${copy}" ]] || cp -a -- "${copy}" "${MODULES_DIR}"
    warn "dnf changed ${MODULES_DIR} in the test transaction (it writes the module state when the package transaction comes out empty, tsflags=test or not): put back as it was"
  fi
  rm -rf -- "${copy}"
}

# Unpacks a repodata file (by its name's ending) from stdin to stdout.
unpack_metadata() {
  case "$1" in
    *.gz) gzip -dc ;;
    *.xz) xz -dc ;;
    *.zst) zstd -dc ;;
    *.bz2) bzip2 -dc ;;
    *) cat ;;
  esac
}

# Prints the mirror's repodata file of type $2 (primary, modules) of
# repository $1, unpacked; nothing when the mirror has none or it cannot be
# read. Both reads are bounded like every metadata read.
mirror_repodata() {
  local base href="" tmp
  base="$(repo_url "$1")"
  tmp="$(mktemp -d)" || return 0
  if fetch "${base}repodata/repomd.xml" "${tmp}/repomd.xml" "${MAX_METADATA_BYTES}" 2>/dev/null; then
    href="$(awk -v type="$2" 'index($0, "<data type=\"" type "\">") { p = 1 }
      p && /<location / { match($0, /href="[^"]*"/); print substr($0, RSTART + 6, RLENGTH - 7); exit }' \
      "${tmp}/repomd.xml")" || href=""
  fi
  if [[ -n "${href}" ]] && fetch "${base}${href}" "${tmp}/data" "${MAX_METADATA_BYTES}" 2>/dev/null; then
    unpack_metadata "${href}" <"${tmp}/data" 2>/dev/null || true
  fi
  rm -rf -- "${tmp}"
}

# The mirror's AppStream module metadata as modules_yaml_streams lines
# (nothing when it has none or it cannot be read).
mirror_module_streams() {
  mirror_repodata AppStream modules | modules_yaml_streams || true
}

# The module metadata dnf downloaded for the migration's AppStream
# repository (checked against its repomd.xml, signed where the mirror signs
# it), as modules_yaml_streams lines.
cached_module_streams() {
  local file
  while IFS= read -r file; do
    # shellcheck disable=SC2094 # $1 only names the compression
    unpack_metadata "${file}" <"${file}" 2>/dev/null | modules_yaml_streams || true
  done < <(find "${CACHE_DIR}" -path '*/appstream-*/repodata/*' -name '*modules.yaml*' -type f 2>/dev/null)
}

# The newest AlmaLinux release of this major the script knows.
newest_release() {
  case "${MAJOR}" in
    8) printf '%s' "${NEWEST_RELEASE_8}" ;;
    9) printf '%s' "${NEWEST_RELEASE_9}" ;;
    10) printf '%s' "${NEWEST_RELEASE_10}" ;;
    *) ;;
  esac
}

# Succeeds when release $1 is older than newest_release.
release_is_outdated() {
  local version="$1"
  local newest
  newest="$(newest_release)"
  [[ -n "${version}" && -n "${newest}" && "${version}" != "${newest}" ]] &&
    [[ "$(printf '%s\n' "${version}" "${newest}" | sort -V | head -n1)" == "${version}" ]]
}

outdated_release_warning() {
  printf 'the mirror serves almalinux-release %s, older than AlmaLinux %s (the newest this script knows): the mirror is stale or replays old metadata; a migration would install old, possibly vulnerable builds' \
    "$1" "$(newest_release)"
}

#######################################
# Arguments.
#######################################
parse_args() {
  while (($# > 0)); do
    case "$1" in
      --check) CHECK_ONLY=1 ;;
      -y | --yes) ASSUME_YES=1 ;;
      --allow-insecure-http) ALLOW_HTTP=1 ;;
      --migrate-locked) MIGRATE_LOCKED=1 ;;
      --exit-codes)
        print_exit_codes
        exit "${EXIT_OK}"
        ;;
      --list-findings)
        printf '%s\n' "${FINDINGS[@]}" | tr '|' '\t'
        exit "${EXIT_OK}"
        ;;
      --mirror | --fingerprint | --log | --allow-remove | --report)
        (($# >= 2)) || bail "${EXIT_USAGE}" "$1 needs an argument (see --help)"
        set_option "$1" "$2"
        shift
        ;;
      --mirror=* | --fingerprint=* | --log=* | --allow-remove=* | --report=*) set_option "${1%%=*}" "${1#*=}" ;;
      --version)
        printf '%s %s\n' "${SCRIPT_NAME}" "${VERSION}"
        exit "${EXIT_OK}"
        ;;
      -h | --help)
        usage
        exit "${EXIT_OK}"
        ;;
      *) bail "${EXIT_USAGE}" "unknown option: $1 (see --help)" ;;
    esac
    shift
  done
  if [[ "${MIRROR}" == http://* ]] && ((ALLOW_HTTP == 0)); then
    bail "${EXIT_USAGE}" "--mirror $(mirror_shown) is plain http: anyone on the network path could serve old repository metadata. Use https:// or file:///, or pass --allow-insecure-http to accept the risk."
  fi
}

# Checks a mirror URL (from --mirror or the state file); prints what is wrong
# and fails. Whitespace or a control character would end up as lines of their
# own in the repository files.
mirror_problem() {
  local url="$1"
  if [[ "${url}" == *[[:space:][:cntrl:]]* ]]; then
    printf 'contains whitespace or a control character'
    return 0
  fi
  # Written into repository files and URLs as is: what would need encoding
  # there (a fragment, a query, a stray %, non-ASCII) is refused.
  local LC_ALL=C
  if [[ "${url}" == *[#?]* || "${url}" == *[![:print:]]* ]] ||
    [[ "${url//%[0-9A-Fa-f][0-9A-Fa-f]/}" == *%* ]]; then
    printf 'contains # or ?, a %% not followed by two hexadecimal digits, or a non-ASCII character: encode them (%%XX) or use another path'
    return 0
  fi
  case "${url}" in
    file:///?*) return 1 ;;
    file://*)
      printf 'a file:// mirror must be an absolute path: file:///path'
      return 0
      ;;
    https://?* | http://?*)
      if [[ "${url}" =~ ^https?://[^/]*@ && ! "${url}" =~ ^https?://[^/:@]+:[^/@]+@[^/@]+ ]]; then
        printf 'credentials must be given as user:password@host'
        return 0
      fi
      return 1
      ;;
  esac
  printf 'must be an https:// or file:/// URL'
}

# Sets one option's global (MIRROR, MIRROR_AUTH, CUSTOM_FPR, LOG_FILE, ...).
set_option() {
  local name="$1"
  local value="$2"
  local problem
  case "${name}" in
    --mirror)
      if problem="$(mirror_problem "${value}")"; then
        bail "${EXIT_USAGE}" "--mirror $(printf '%q' "$(redact "${value}")"): ${problem}"
      fi
      MIRROR="${value%/}"
      # The credentials are kept apart: MIRROR is what gets printed, logged
      # and saved.
      if [[ "${MIRROR}" =~ ^(https?)://([^/@]+)@(.+)$ ]]; then
        MIRROR_AUTH="${BASH_REMATCH[2]}"
        MIRROR="${BASH_REMATCH[1]}://${BASH_REMATCH[3]}"
        [[ "$(url_decode "${MIRROR_AUTH}")" != *[[:cntrl:]]* ]] ||
          bail "${EXIT_USAGE}" "--mirror: the user name or password holds a control character"
      fi
      MIRROR_GIVEN=1
      ;;
    --fingerprint)
      value="${value//[[:space:]]/}"
      value="${value^^}"
      [[ "${value}" =~ ^[0-9A-F]{40}$ ]] ||
        bail "${EXIT_USAGE}" "--fingerprint must be 40 hexadecimal digits, got '$2'"
      CUSTOM_FPR="${value}"
      ;;
    --allow-remove)
      [[ "${value}" =~ ^[A-Za-z0-9._+-]+$ ]] ||
        bail "${EXIT_USAGE}" "--allow-remove needs a package name, got $(printf '%q' "${value}")"
      ALLOW_REMOVE+=("${value}")
      ;;
    --report)
      [[ -n "${value}" && "${value}" != */ ]] || bail "${EXIT_USAGE}" "--report needs a file name"
      [[ ! -d "${value}" ]] || bail "${EXIT_USAGE}" "--report $(printf '%q' "${value}") is a directory; give a file name"
      [[ -d "$(dirname -- "${value}")" && -w "$(dirname -- "${value}")" ]] ||
        bail "${EXIT_USAGE}" "--report $(printf '%q' "${value}"): the directory $(printf '%q' "$(dirname -- "${value}")") does not exist or is not writable"
      REPORT_FILE="${value}"
      ;;
    --log)
      [[ -n "${value}" && "${value}" != */ ]] || bail "${EXIT_USAGE}" "--log needs a file name"
      [[ ! -d "${value}" ]] || bail "${EXIT_USAGE}" "--log $(printf '%q' "${value}") is a directory; give a file name"
      [[ -d "$(dirname -- "${value}")" && -w "$(dirname -- "${value}")" ]] ||
        bail "${EXIT_USAGE}" "--log $(printf '%q' "${value}"): the directory $(printf '%q' "$(dirname -- "${value}")") does not exist or is not writable"
      [[ ! -e "${value}" || -w "${value}" ]] ||
        bail "${EXIT_USAGE}" "--log $(printf '%q' "${value}") is not writable"
      LOG_FILE="${value}"
      LOG_GIVEN=1
      ;;
  esac
}

#######################################
# Detection (nothing is written).
#######################################
# Prints KEY's value from an os-release file (default OS_RELEASE), read as
# data: never evaluated. A malformed line or an unquoted value with shell
# syntax in it makes the file unusable (status 2, the line on stdout).
os_release_value() {
  local key="$1"
  local file="${2:-${OS_RELEASE}}"
  awk -v k="${key}" '
    /^[ \t]*(#|$)/ { next }
    !/^[A-Za-z_][A-Za-z0-9_]*=/ { print "malformed line " NR ": " $0; bad = 1; exit }
    {
      name = $0; sub(/=.*/, "", name); v = substr($0, length(name) + 2)
      if (v ~ /^"[^"`$\\]*"$/ || v ~ /^\047[^\047]*\047$/) v = substr(v, 2, length(v) - 2)
      else if (v ~ /[^A-Za-z0-9._:+\/-]/) { print "malformed line " NR ": " $0; bad = 1; exit }
      if (name == k) { value = v; found = 1 }
    }
    END { if (bad) exit 2; if (found) print value }' "${file}"
}

# Reads ID, NAME and VERSION_ID from an os-release file (default OS_RELEASE):
# anything odd in it is refused as unsupported (exit 3), naming the file
# and the key. Changes OS_ID, OS_NAME, OS_VERSION, MAJOR.
read_os_release() {
  local file="${1:-${OS_RELEASE}}" out
  if ! out="$(os_release_value ID "${file}")"; then
    bail "${EXIT_UNSUPPORTED}" "cannot identify this system: ${file}: ${out}. Nothing changed."
  fi
  OS_ID="${out}"
  OS_NAME="$(os_release_value NAME "${file}")"
  OS_VERSION="$(os_release_value VERSION_ID "${file}")"
  [[ "${OS_ID}" =~ ^[a-z0-9._-]+$ ]] ||
    bail "${EXIT_UNSUPPORTED}" "cannot identify this system: ${file}: ID is missing or not a plain identifier ('${OS_ID}'). Nothing changed."
  [[ "${OS_VERSION}" =~ ^[0-9]+(\.[0-9]+)*$ ]] ||
    bail "${EXIT_UNSUPPORTED}" "cannot identify this system: ${file}: VERSION_ID is missing or not a version number ('${OS_VERSION}'). Nothing changed."
  MAJOR="${OS_VERSION%%.*}"
}

detect_system() {
  [[ -r "${OS_RELEASE}" ]] ||
    bail "${EXIT_UNSUPPORTED}" "cannot identify this system: ${OS_RELEASE} is missing. Nothing changed."
  read_os_release "${OS_RELEASE}"
  ARCH="$(uname -m)"
  if [[ " ${SUPPORTED_IDS} " != *" ${OS_ID} "* ]]; then
    bail "${EXIT_UNSUPPORTED}" "${OS_NAME:-unknown OS} ${OS_VERSION} (ID=${OS_ID:-none}) is not supported; supported: CentOS Linux 8, CentOS Stream, Rocky Linux, Oracle Linux and RHEL 8, 9 and 10. Nothing changed."
  fi
  if [[ " ${SUPPORTED_MAJORS} " != *" ${MAJOR} "* ]]; then
    bail "${EXIT_UNSUPPORTED}" "${OS_NAME} ${OS_VERSION} is not supported: only major versions ${SUPPORTED_MAJORS// /, } can be migrated (upgrade to a supported major first). Nothing changed."
  fi
  if [[ " ${SUPPORTED_ARCHES} " != *" ${ARCH} "* ]]; then
    bail "${EXIT_UNSUPPORTED}" "architecture ${ARCH} is not supported (supported: ${SUPPORTED_ARCHES// /, }). Nothing changed."
  fi
  command -v rpm >/dev/null ||
    bail "${EXIT_UNSUPPORTED}" "rpm not found: this is not an RPM-based system. Nothing changed."
  if [[ -z "${MIRROR}" ]]; then
    MIRROR="${OFFICIAL_MIRROR}"
  fi
}

# Not fooled by a half-done migration: the source's release packages must be
# gone and almalinux-release must be AlmaLinux's (a resumable state is
# resumed before this is asked).
is_migrated() {
  [[ "${OS_ID}" == "almalinux" ]] && rpm -q almalinux-release >/dev/null 2>&1 || return 1
  [[ "$(rpm -q --qf '%{VENDOR}' almalinux-release 2>/dev/null)" == "AlmaLinux" ]] || return 1
  [[ -z "$(installed_names "${SOURCE_RELEASE_PKGS[@]}")" ]]
}

# Release-side packages to remove and AlmaLinux packages wanted in exchange,
# with the installed packages of the VENDOR_PKGS table (find_vendor_packages).
# Changes SOURCE_PKGS, TARGET_PKGS, VENDOR_FOUND, FINDING_IDS, WARNINGS.
find_release_packages() {
  mapfile -t SOURCE_PKGS < <(installed_names "${SOURCE_RELEASE_PKGS[@]}")
  TARGET_PKGS=(almalinux-release)
  if ((MAJOR >= 9)); then
    TARGET_PKGS+=(almalinux-repos almalinux-gpg-keys)
  fi
  find_vendor_packages
}

# Prints "name<TAB>finding id<TAB>action<TAB>counterpart<TAB>what" for each
# installed package (names on stdin) a VENDOR_PKGS row names.
vendor_matches() {
  local name entry names id action counterpart what pattern
  local -a patterns
  while read -r name; do
    [[ -n "${name}" ]] || continue
    for entry in "${VENDOR_PKGS[@]}"; do
      IFS='|' read -r names id action counterpart what <<<"${entry}"
      read -r -a patterns <<<"${names}"
      for pattern in "${patterns[@]}"; do
        # shellcheck disable=SC2053  # the table's names are globs
        if [[ "${name}" == ${pattern} ]]; then
          [[ "${counterpart}" == "almalinux-*" ]] && counterpart="almalinux-${name#*-}"
          printf '%s\t%s\t%s\t%s\t%s\n' "${name}" "${id}" "${action}" "${counterpart}" "${what}"
          break 2
        fi
      done
    done
  done
}

# The installed packages of the VENDOR_PKGS table, handled as it says: swap
# and remove add them to SOURCE_PKGS (the swap transaction removes them),
# swap adds the counterpart to TARGET_PKGS unless it is installed (then
# distro-sync replaces it), keep leaves them. One finding per finding id.
# Changes SOURCE_PKGS, TARGET_PKGS, VENDOR_FOUND, FINDING_IDS, WARNINGS.
find_vendor_packages() {
  local name id action counterpart what detail
  local -a ids=()
  local -A done_by=() kept=() whats=()
  VENDOR_FOUND=()
  while IFS=$'\t' read -r name id action counterpart what; do
    [[ -n "${name}" ]] || continue
    VENDOR_FOUND+=("${name} ${action}")
    if [[ -z "${done_by[${id}]+set}" ]]; then
      ids+=("${id}")
      done_by["${id}"]="" kept["${id}"]="" whats["${id}"]=""
    fi
    case "${action}" in
      swap | remove)
        SOURCE_PKGS+=("${name}")
        if [[ "${action}" == "swap" && " ${TARGET_PKGS[*]} " != *" ${counterpart} "* ]] &&
          ! rpm -q "${counterpart}" >/dev/null 2>&1; then
          TARGET_PKGS+=("${counterpart}")
        fi
        detail="${name} (${action}${counterpart:+ with ${counterpart}})"
        done_by["${id}"]+="${done_by[${id}]:+, }${detail}"
        ;;
      *)
        kept["${id}"]+="${kept[${id}]:+, }${name}"
        ;;
    esac
    [[ "${whats[${id}]:-}" == *"${what}"* ]] || whats["${id}"]+="${whats[${id}]:+; }${what}"
  done < <(rpm -qa --qf '%{NAME}\n' 2>/dev/null | sort -u | vendor_matches)
  for id in "${ids[@]}"; do
    detail=""
    [[ -n "${done_by[${id}]}" ]] && detail="replaced or removed in the swap transaction: ${done_by[${id}]}"
    if [[ -n "${kept[${id}]:-}" ]]; then
      detail+="${detail:+; }kept installed: ${kept[${id}]}"
    fi
    finding "${id}" "${detail} (${whats[${id}]})"
  done
}

# Sorts enabled repositories into the source OS's own and third-party ones.
classify_repos() {
  local file owner id
  THIRD_PARTY_REPOS=()
  SOURCE_REPO_FILES=()
  shopt -s nullglob
  for file in /etc/yum.repos.d/*.repo; do
    owner="$(rpm -qf --qf '%{NAME}\n' -- "${file}" 2>/dev/null)" || owner=""
    owner="${owner%%$'\n'*}"
    if [[ -n "${owner}" && " ${SOURCE_PKGS[*]} ${TARGET_RELEASE_PKGS[*]} " == *" ${owner} "* ]] ||
      [[ "${file##*/}" == "redhat.repo" ]]; then
      SOURCE_REPO_FILES+=("${file}")
      continue
    fi
    while read -r id; do
      # EPEL Next is disabled by the migration (check_epel_next).
      [[ -n "${id}" && "${id}" != epel-next* ]] && THIRD_PARTY_REPOS+=("${id} (${file##*/})")
    done < <(enabled_repo_ids "${file}")
  done
  shopt -u nullglob
}

#######################################
# Preflight (nothing is written).
#######################################
check_root() {
  if ((EUID != 0)); then
    finding not-root "not running as root: run it with sudo or as root"
  fi
}

check_commands() {
  local cmd
  local -a needed=(rpm rpmkeys dnf gpg awk sed grep sort df sync mktemp cp mv find tee paste
    flock stat head)
  [[ "${MIRROR}" == http* ]] && needed+=(curl)
  for cmd in "${needed[@]}"; do
    command -v "${cmd}" >/dev/null || finding command-missing "required command missing: ${cmd}"
  done
}

check_space() {
  local path min have dev
  local work="${WORK_DIR}"
  local -A seen=()
  # The work directory (the download cache, the backup) may be a file
  # system of its own: its nearest existing directory is checked too.
  while [[ ! -d "${work}" ]]; do work="$(dirname -- "${work}")"; done
  for path in / /var "${work}" /boot; do
    case "${path}" in
      /) min="${MIN_FREE_ROOT_MB}" ;;
      /var | "${work}") min="${MIN_FREE_VAR_MB}" ;;
      /boot) min="${MIN_FREE_BOOT_MB}" ;;
    esac
    [[ -d "${path}" ]] || continue
    # One finding per file system.
    dev="$(stat -c %d -- "${path}" 2>/dev/null)" || dev="${path}"
    [[ -z "${seen[${dev}]:-}" ]] || continue
    seen["${dev}"]=1
    have="$(free_mb "${path}")"
    if [[ -z "${have}" ]]; then
      finding free-space-unknown "cannot read free space on ${path}"
    elif ((have < min)); then
      finding low-free-space "only ${have} MiB free on ${path}; at least ${min} MiB needed"
    fi
  done
}

# A database rpm cannot read is damaged, not a system without release
# packages.
check_rpmdb() {
  local errors
  if ! errors="$(rpm -qa --qf '' 2>&1)" || [[ "${errors}" == *[Ee]rror* ]]; then
    finding rpmdb-damaged "the rpm database cannot be read (rpm -qa: ${errors:-failed}); rebuild it with rpm --rebuilddb"
    return 1
  fi
}

check_dnf_idle() {
  local comm pid
  local -a busy=()
  for pid in /proc/[0-9]*; do
    [[ "${pid##*/}" == "$$" ]] && continue
    comm="$(cat "${pid}/comm" 2>/dev/null)" || continue
    case "${comm}" in
      dnf | yum | rpm | packagekitd | dnf-automatic)
        # Only this system's: a container's or the host's dnf has another root.
        if [[ "${pid}/root/" -ef / ]]; then
          busy+=("${comm} (pid ${pid##*/})")
        fi
        ;;
    esac
  done
  if ((${#busy[@]} > 0)); then
    finding package-manager-busy "a package manager is running: ${busy[*]}; wait for it to finish"
  fi
  local dupes
  dupes="$(rpm -qa --qf '%{NAME} %{NAME}.%{ARCH}\n' 2>/dev/null | without_installonly |
    sort | uniq -d | paste -sd' ' -)" || true
  if [[ -n "${dupes}" ]]; then
    finding unfinished-transaction "an unfinished transaction left duplicate packages: ${dupes}; finish or undo it first"
  fi
}

# Sets SECURE_BOOT.
check_secure_boot() {
  local out
  if ! command -v mokutil >/dev/null; then
    if [[ -d /sys/firmware/efi ]]; then
      finding secure-boot-unknown "Secure Boot state unknown (mokutil not installed)"
    else
      finding secure-boot-unknown "Secure Boot state unknown (no mokutil; no EFI firmware seen, likely BIOS boot or a container)"
    fi
    return
  fi
  out="$(LC_ALL=C mokutil --sb-state 2>&1)" || true
  if [[ "${out}" == *"SecureBoot enabled"* ]]; then
    SECURE_BOOT=1
    finding secure-boot-enabled "Secure Boot is enabled: AlmaLinux's shim and kernel are signed, but custom or third-party kernel modules must be signed by a key you enrolled"
  fi
}

# Prints "name flags" for each loaded kernel module with taint flags
# (/sys/module/NAME/taint, the flags /proc/modules shows in parentheses: O
# out-of-tree, P proprietary, E unsigned, C staging, ...).
tainted_modules() {
  local file flags name
  for file in /sys/module/*/taint; do
    [[ -f "${file}" ]] || continue
    flags="$(cat -- "${file}" 2>/dev/null)" || flags=""
    flags="${flags//[[:space:]]/}"
    [[ -n "${flags}" ]] || continue
    name="${file%/taint}"
    printf '%s %s\n' "${name##*/}" "${flags}"
  done
}

# The signer modinfo names for loaded module "$1"; empty when unsigned or
# unknown.
module_signer() {
  LC_ALL=C modinfo -F signer -- "$1" 2>/dev/null | head -n1 || true
}

# Whether the key that signed a module ("$1", modinfo's signer) is in the
# MOK list: AlmaLinux's kernel trusts its own keys and those only, so under
# Secure Boot that is where a third-party module's key must be.
signer_enrolled() {
  local signer="$1"
  [[ -n "${signer}" ]] || return 1
  LC_ALL=C mokutil --list-enrolled 2>/dev/null | grep -qiF -- "${signer}"
}

# Loaded out-of-tree, proprietary or otherwise tainted modules (DKMS,
# vendors' drivers) need a build for AlmaLinux's kernel: a warning naming
# each. With Secure Boot on, a third-party one (out-of-tree, proprietary or
# unsigned) whose signer is not in the MOK list would not load under
# AlmaLinux's kernel: a blocker. Uses SECURE_BOOT (check_secure_boot first).
check_kernel_modules() {
  local name flags signer why
  local -a tainted=() refused=()
  while read -r name flags; do
    [[ -n "${name}" ]] || continue
    tainted+=("${name} (${flags})")
    if ((SECURE_BOOT == 0)) || [[ "${flags}" != *[OPE]* ]]; then
      continue
    fi
    signer="$(module_signer "${name}")"
    signer_enrolled "${signer}" && continue
    why="unsigned, or its signer unknown"
    [[ -n "${signer}" ]] && why="signed by '${signer}', a key not in the MOK list"
    refused+=("${name} (${why})")
  done < <(tainted_modules)
  if ((${#tainted[@]} > 0)); then
    finding tainted-kernel-module "loaded out-of-tree or tainted kernel modules: ${tainted[*]}; each needs a build for AlmaLinux's kernel (DKMS rebuilds its own; a vendor's kmod needs its EL build) before the reboot"
  fi
  if ((${#refused[@]} > 0)); then
    finding module-refused-by-secure-boot "with Secure Boot on, AlmaLinux's kernel would not load: ${refused[*]}; sign each with a key enrolled in the MOK list (mokutil --import), or remove it and rebuild it with DKMS after the migration"
  fi
}

# The installed kernels: what provides installonlypkg(kernel), and Oracle's
# UEK by name. One name a line.
installed_kernels() {
  {
    rpm -q --whatprovides --qf '%{NAME}\n' 'installonlypkg(kernel)' 2>/dev/null |
      grep -v '[[:space:]]' || true
    installed_names kernel-uek kernel-uek-core
  } | sort -u
}

# Of the installed kernels, those signed by an accepted key:
# NAME-VERSION-RELEASE.ARCH lines.
alma_kernels() {
  local ids
  local -a names
  mapfile -t names < <(installed_kernels)
  ((${#names[@]} > 0)) || return 0
  ids=" $(accepted_keyids | paste -sd' ' -) "
  rpm -q --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH} %|RSAHEADER?{%{RSAHEADER:pgpsig}}:{%|DSAHEADER?{%{DSAHEADER:pgpsig}}:{none}|}|\n' \
    -- "${names[@]}" 2>/dev/null |
    awk -v ids="${ids}" 'index(ids, " " tolower($NF) " ") > 0 { print $1 }' || true
}

# A system whose only kernels are another vendor's (Oracle Linux with UEK
# and no Red Hat compatible kernel) would end up with no AlmaLinux kernel:
# distro-sync replaces only the kernels AlmaLinux builds. AlmaLinux's
# "kernel" joins the swap transaction then. No kernel at all (a chroot):
# nothing to add. Changes TARGET_PKGS.
check_kernels() {
  local name
  local -a kernels
  mapfile -t kernels < <(installed_kernels)
  ((${#kernels[@]} > 0)) || return 0
  for name in "${kernels[@]}"; do
    [[ " ${ALMA_KERNEL_PKGS[*]} " == *" ${name} "* ]] && return 0
  done
  TARGET_PKGS+=(kernel)
  finding kernel-added "the only kernels installed are another vendor's (${kernels[*]}): AlmaLinux's kernel is installed in the release swap transaction and becomes the default boot entry"
}

# Prints the container technology the script runs in (docker, podman, lxc,
# openvz, ...); nothing on a machine or VM of its own. systemd-detect-virt
# where it is installed, then the marks container managers leave:
# /run/.containerenv (podman), /.dockerenv, /run/systemd/container,
# container= in PID 1's environment (LXC, systemd-nspawn), /proc/vz
# without /proc/bc (an OpenVZ/Virtuozzo container; the host has both).
# $1: the directory those paths are looked up under ("" in a run; the fast
# tests give a directory of their own).
container_technology() {
  local top="${1:-}" what=""
  if command -v systemd-detect-virt >/dev/null; then
    what="$(systemd-detect-virt --container 2>/dev/null)" || what=""
    [[ "${what}" == "none" ]] && what=""
  fi
  if [[ -z "${what}" && -e "${top}/run/.containerenv" ]]; then
    what="podman"
  fi
  if [[ -z "${what}" && -e "${top}/.dockerenv" ]]; then
    what="docker"
  fi
  if [[ -z "${what}" && -s "${top}/run/systemd/container" ]]; then
    what="$(head -n1 -- "${top}/run/systemd/container" 2>/dev/null)" || what=""
  fi
  if [[ -z "${what}" && -r "${top}/proc/1/environ" ]]; then
    # PID 1's environment is root's to read; elsewhere (a sandbox) it may be refused.
    what="$({ tr '\0' '\n' <"${top}/proc/1/environ"; } 2>/dev/null | sed -n 's/^container=//p' |
      head -n1)" || what=""
  fi
  if [[ -z "${what}" && -d "${top}/proc/vz" && ! -d "${top}/proc/bc" ]]; then
    what="openvz"
  fi
  # Only a plain word reaches the log, the report and the state.
  [[ "${what}" =~ ^[A-Za-z0-9._-]+$ ]] && printf '%s' "${what}"
  return 0
}

# Sets CONTAINER.
detect_container() {
  CONTAINER="$(container_technology "")"
}

# Whether the system booted through UEFI.
efi_booted() {
  [[ -d /sys/firmware/efi ]]
}

# Reads `lsblk -rsno NAME,TYPE DEVICE` (the device, then everything it is
# built on) and prints "raid DISK..." or "multipath DISK..." (the disks
# under it) when md RAID or a multipath map is part of it; nothing for a
# plain partition.
esp_layout() {
  awk '$2 ~ /^raid/ || $2 == "md" { raid = 1 }
    $2 == "mpath" { mpath = 1 }
    $2 == "disk" && !seen[$1]++ { disks = disks " " $1 }
    END { if (raid) print "raid" disks; else if (mpath) print "multipath" disks }'
}

# Whether the firmware already has a boot entry named AlmaLinux.
efi_entry_present() {
  command -v efibootmgr >/dev/null && [[ "$(LC_ALL=C efibootmgr 2>/dev/null || true)" == *AlmaLinux* ]]
}

# An EFI system partition on md RAID or multipath: efibootmgr cannot add
# AlmaLinux's boot entry on it (one entry per member disk is needed), and
# the source's entry dies with its shim. Found here, before anything
# changes, unless the entries are there already; add_efi_entry would stop
# after the point of no return.
check_efi_partition() {
  local source layout kind disks
  efi_booted || return 0
  source="$(findmnt -no SOURCE -- /boot/efi 2>/dev/null | head -n1)" || source=""
  [[ -n "${source}" ]] || return 0
  layout="$(lsblk -rsno NAME,TYPE -- "${source}" 2>/dev/null | esp_layout)" || layout=""
  [[ -n "${layout}" ]] || return 0
  read -r kind disks <<<"${layout}"
  efi_entry_present && return 0
  finding efi-on-raid-or-multipath "the EFI system partition /boot/efi (${source}) is on ${kind}${disks:+ over ${disks// /, }}: the migration cannot add AlmaLinux's EFI boot entry there. Add one per member disk first (efibootmgr -c -d /dev/<disk> -p <partition> -L AlmaLinux -l '\\EFI\\almalinux\\shim<arch>.efi' for each of ${disks:-the disks}), then run the script again"
}

# A releasever pinned in dnf's variables (subscription-manager release --set,
# or by hand) would go on selecting that minor release in AlmaLinux's
# repository files after the migration.
check_releasever_pin() {
  local file=/etc/dnf/vars/releasever value=""
  [[ -f "${file}" ]] || return 0
  read -r value <"${file}" || true
  finding releasever-pinned "${file} pins the release to '${value}': AlmaLinux's repositories will use it after the migration; remove the file to follow the latest AlmaLinux ${MAJOR}"
}

# The exclude patterns of file $2 ("FILE<tab>PATTERN" lines): of its [main]
# section ($1 = main), or of its enabled repository sections ($1 = enabled).
# exclude= and excludepkgs= take patterns separated by commas or spaces.
exclude_patterns() {
  awk -v mode="$1" -v file="$2" '
    function flush(  i) {
      if ((mode == "main" && main) || (mode == "enabled" && section && !main && on))
        for (i = 1; i <= n; i++) print file "\t" pat[i]
      n = 0 }
    /^[ \t]*\[/ { flush(); main = ($0 ~ /^[ \t]*\[main\][ \t]*$/); section = 1; on = 1; next }
    /^[ \t]*enabled[ \t]*=/ { v = $0; sub(/^[^=]*=[ \t]*/, "", v); on = (v ~ /^(1|yes|true|True|on)/); next }
    /^[ \t]*(exclude|excludepkgs)[ \t]*=/ {
      v = $0; sub(/^[^=]*=/, "", v); gsub(/,/, " ", v)
      m = split(v, w, /[ \t]+/)
      for (j = 1; j <= m; j++) if (w[j] != "") pat[++n] = w[j]
      next }
    END { flush() }' "$2"
}

# The host's exclude patterns that apply to the packages the migration
# replaces: [main] of dnf.conf, and the enabled sections of the source's
# repository files (which the AlmaLinux ones replace). Third-party
# repositories' own excludes concern only them.
host_exclude_patterns() {
  local file
  [[ -r "${HOST_DNF_CONF}" ]] && exclude_patterns main "${HOST_DNF_CONF}"
  for file in "${SOURCE_REPO_FILES[@]}"; do
    [[ -r "${file}" ]] && exclude_patterns enabled "${file}"
  done
  return 0
}

# Of the "NAME ARCH" lines on stdin, the names (sorted, once each) that the
# glob patterns "$@" match, as dnf matches a name or NAME.ARCH.
excluded_names() {
  local name arch pattern
  (($# > 0)) || return 0
  while read -r name arch; do
    [[ -n "${name}" ]] || continue
    for pattern in "$@"; do
      # shellcheck disable=SC2053 # the pattern is a glob, as in dnf.conf
      if [[ "${name}" == ${pattern} || "${name}.${arch}" == ${pattern} ]]; then
        printf '%s\n' "${name}"
        break
      fi
    done
  done | sort -u
}

# Records package-excluded for each exclude pattern (EXCLUDES) that matches
# a package of the "NAME ARCH" lines on stdin. $1 says where those come from.
report_excludes() {
  local what="$1"
  local entry file pattern hits candidates
  candidates="$(cat)"
  for entry in "${EXCLUDES[@]}"; do
    file="${entry%%$'\t'*}"
    pattern="${entry#*$'\t'}"
    hits="$(excluded_names "${pattern}" <<<"${candidates}" | paste -sd' ' -)"
    [[ -n "${hits}" ]] || continue
    finding package-excluded "exclude pattern '${pattern}' in ${file} matches ${hits}, which the migration must replace (${what}); the migration's dnf does not read that file, so it would replace them anyway: remove the pattern for the migration"
  done
}

# The host's exclude patterns against what the migration replaces: the
# release packages, and the installed packages built by the source's vendor
# (distro-sync replaces those). step_download checks again what dnf really
# downloaded. Sets EXCLUDES; adds to BLOCKERS.
check_excludes() {
  local vendor
  mapfile -t EXCLUDES < <(host_exclude_patterns)
  ((${#EXCLUDES[@]} > 0)) || return 0
  vendor=""
  if ((${#SOURCE_PKGS[@]} > 0)); then
    vendor="$(rpm -q --qf '%{VENDOR}\n' -- "${SOURCE_PKGS[0]}" 2>/dev/null | head -n1)" || vendor=""
  fi
  # Not a pipeline: report_excludes records findings in this shell.
  report_excludes "release packages, or ${vendor:-the source vendor}'s builds that distro-sync replaces" < <(
    printf '%s noarch\n' "${SOURCE_PKGS[@]}" "${TARGET_PKGS[@]}"
    rpm -qa --qf '%{VENDOR}|%{NAME} %{ARCH}\n' 2>/dev/null |
      awk -F'|' -v v="${vendor}" 'v != "" && $1 == v { print $2 }'
  )
}

# After the download, before the point of no return: an exclude pattern that
# matches a package dnf downloaded for the migration stops the run (nothing
# changed).
check_download_excludes() {
  local -a files
  ((${#EXCLUDES[@]} > 0)) || return 0
  mapfile -t files < <(find "${CACHE_DIR}" -name '*.rpm' -type f)
  ((${#files[@]} > 0)) || return 0
  drop_findings package-excluded
  report_excludes "dnf downloaded them for the migration" < <(
    rpm -qp --nosignature --qf '%{NAME} %{ARCH}\n' -- "${files[@]}" 2>/dev/null)
  if ((${#BLOCKERS[@]} > 0)); then
    PHASE="start"
    discard_work
    bail "${EXIT_BLOCKED}" "${BLOCKERS[0]}. Nothing changed."
  fi
}

# The version lock list, when dnf's versionlock plugin is enabled (a
# disabled plugin locks nothing).
version_lock_list() {
  local enabled list
  [[ -r "${VERSIONLOCK_CONF}" ]] || return 0
  enabled="$(awk -F= '{ gsub(/[ \t]/, "") } $1 == "enabled" { v = $2 } END { print v }' "${VERSIONLOCK_CONF}")"
  [[ "${enabled}" =~ ^(1|yes|true|True|on)$ ]] || return 0
  list="$(awk -F= '{ gsub(/[ \t]/, "") } $1 == "locklist" { v = $2 } END { print v }' "${VERSIONLOCK_CONF}")"
  printf '%s\n' "${list:-${VERSIONLOCK_LIST}}"
}

# The locks of a lock list (stdin): "NAME ENTRY" lines; comments and "!"
# exclusions are left out. An entry is NAME-[EPOCH:]VERSION-RELEASE.ARCH,
# globs allowed.
lock_entries() {
  awk '/^[ \t]*(#|$)/ { next }
    { e = $1 } e ~ /^!/ { next }
    { n = e; if (sub(/-[^-]*-[^-]*$/, "", n) && n != "") print n, e }'
}

# Locked packages: a warning each; without --migrate-locked they keep their
# builds (KEEP_LOCKED, excluded from every dnf call) and a locked release
# package is a blocker. Sets LOCKED_NAMES and KEEP_LOCKED; adds to BLOCKERS
# and WARNINGS.
check_version_locks() {
  local list name
  LOCKED_NAMES=()
  KEEP_LOCKED=()
  list="$(version_lock_list)"
  [[ -n "${list}" && -r "${list}" ]] || return 0
  mapfile -t LOCKED_NAMES < <(lock_entries <"${list}" | awk '{ print $1 }' | sort -u)
  for name in "${LOCKED_NAMES[@]}"; do
    rpm -q "${name}" >/dev/null 2>&1 || continue
    if ((MIGRATE_LOCKED == 1)); then
      finding package-version-locked "${name} is version-locked (${list}): migrated as asked with --migrate-locked; its lock entry is rewritten to the AlmaLinux build"
    elif [[ " ${SOURCE_PKGS[*]} ${TARGET_PKGS[*]} " == *" ${name} "* ]]; then
      finding release-package-locked "${name} is version-locked (${list}), but the migration must replace it: pass --migrate-locked or remove the lock"
    else
      KEEP_LOCKED+=("${name}")
      finding package-version-locked "${name} is version-locked (${list}): it keeps its build and is not migrated (pass --migrate-locked to migrate it)"
    fi
  done
}

# Rewrites lock list $1 into $2 so that it pins only installed builds, given
# the installed packages in file $3 ("NAME NAME-EPOCH:VERSION-RELEASE.ARCH"
# lines): an entry no installed build matches is replaced by the installed
# builds of its name (NAME-EPOCH:VERSION-RELEASE.*), or dropped when none is
# installed. Comments and "!" lines stay. Prints one note per change.
rewrite_lock_list() {
  local list="$1" out="$2" installed="$3"
  local line entry name nevra short matched
  local -A have=() written=()
  while read -r name nevra; do
    [[ -n "${nevra}" ]] && have["${name}"]+="${nevra} "
  done <"${installed}"
  : >"${out}"
  while IFS= read -r line || [[ -n "${line}" ]]; do
    read -r entry _ <<<"${line}" || entry=""
    if [[ -z "${entry}" || "${entry}" == \#* || "${entry}" == \!* || "${entry}" != *-*-* ]]; then
      printf '%s\n' "${line}" >>"${out}"
      continue
    fi
    name="${entry%-*-*}"
    matched=0
    for nevra in ${have[${name}]:-}; do
      short="${name}-${nevra#"${name}-"*:}"
      # shellcheck disable=SC2053 # the entry is a glob, as the plugin reads it
      if [[ "${nevra}" == ${entry} || "${short}" == ${entry} ]]; then
        matched=1
      fi
    done
    if ((matched == 1)); then
      printf '%s\n' "${line}" >>"${out}"
    elif [[ -n "${have[${name}]:-}" ]]; then
      for nevra in ${have[${name}]}; do
        [[ -n "${written[${nevra%.*}]:-}" ]] && continue
        written["${nevra%.*}"]=1
        printf '%s.*\n' "${nevra%.*}" >>"${out}"
        printf 'version lock %s: %s pinned a build that is no longer installed; it now pins %s.*\n' \
          "${name}" "${entry}" "${nevra%.*}"
      done
    else
      printf 'version lock %s: %s removed: %s is no longer installed\n' "${name}" "${entry}" "${name}"
    fi
  done <"${list}"
}

# After the migration: the lock list pins only installed builds (see
# rewrite_lock_list); every change is logged.
update_version_locks() {
  local list note tmp
  list="$(version_lock_list)"
  [[ -n "${list}" && -f "${list}" ]] || return 0
  tmp="$(mktemp -d)"
  rpm -qa --qf '%{NAME} %{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH}\n' >"${tmp}/installed"
  while IFS= read -r note; do
    log "${note}"
  done < <(rewrite_lock_list "${list}" "${tmp}/list" "${tmp}/installed")
  if ! cmp -s -- "${list}" "${tmp}/list"; then
    cat -- "${tmp}/list" >"${list}"
    log "version lock list ${list} updated: it pins only installed builds"
  else
    log "version lock list ${list}: every entry pins an installed build"
  fi
  rm -rf -- "${tmp}"
}

# EPEL Next repositories ("epel-next*") enabled in /etc/yum.repos.d:
# "ID (FILE)" lines.
epel_next_repos() {
  local file id
  shopt -s nullglob
  for file in /etc/yum.repos.d/*.repo; do
    while read -r id; do
      [[ "${id}" == epel-next* ]] && printf '%s (%s)\n' "${id}" "${file##*/}"
    done < <(enabled_repo_ids "${file}")
  done
  shopt -u nullglob
}

# EPEL Next is built against CentOS Stream, ahead of AlmaLinux: the
# migration disables it (disable_epel_next). Adds to WARNINGS.
check_epel_next() {
  local repos
  repos="$(epel_next_repos | paste -sd',' - | sed -e 's/,/, /g')"
  [[ -n "${repos}" ]] || return 0
  finding epel-next-disabled "EPEL Next repositories are disabled by the migration: ${repos}; they are built against CentOS Stream, which is ahead of AlmaLinux (keep the epel repository)"
}

# Sets enabled=0 in every "epel-next*" section of repository file $1
# (stdin to stdout).
epel_next_disabled() {
  awk '/^[ \t]*\[/ { id = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", id); next_ = (id ~ /^epel-next/)
                     print; if (next_) print "enabled=0"; next }
    next_ && /^[ \t]*enabled[ \t]*=/ { next }
    { print }'
}

# After the swap: every enabled EPEL Next repository is disabled (see
# check_epel_next); the file keeps its owner and mode.
disable_epel_next() {
  local file tmp
  local -a files
  mapfile -t files < <(epel_next_repos | sed -e 's/.* (\(.*\))$/\1/' | sort -u)
  for file in "${files[@]}"; do
    file="/etc/yum.repos.d/${file}"
    tmp="$(epel_next_disabled <"${file}")"
    printf '%s\n' "${tmp}" >"${file}"
    log "disabled the EPEL Next repositories in ${file} (built for CentOS Stream; the epel repository serves AlmaLinux)"
  done
}

# A CentOS Stream source is ahead of AlmaLinux: the sync downgrades sssd,
# and an older sssd cannot read the caches (LDB files) the newer one wrote.
# They are cleared after the sync when sssd is installed; sssd rebuilds them
# when it starts.
clear_sssd_cache() {
  local -a files
  [[ "${STATE[SOURCE_NAME]:-}" == *Stream* ]] || return 0
  if ! rpm -q sssd >/dev/null 2>&1 && ! rpm -q sssd-common >/dev/null 2>&1; then
    log "sssd is not installed: no SSSD cache to clear"
    return 0
  fi
  shopt -s nullglob
  files=("${SSSD_DB_DIR}"/*.ldb)
  shopt -u nullglob
  if ((${#files[@]} == 0)); then
    log "sssd: no cache files in ${SSSD_DB_DIR}"
    return 0
  fi
  rm -f -- "${files[@]}" || die "cannot clear the SSSD caches in ${SSSD_DB_DIR}" "Remove ${SSSD_DB_DIR}/*.ldb by hand, then run the script again."
  log "sssd: cleared ${#files[@]} cache file(s) in ${SSSD_DB_DIR} (the downgraded sssd cannot read CentOS Stream's; it rebuilds them when it starts: reboot or run systemctl restart sssd)"
}

# EL8: every enabled module stream needs an AlmaLinux counterpart in the
# mirror's module metadata (step_download reads it again from dnf's cache).
# Sets MODULE_STREAMS; adds to BLOCKERS.
check_module_streams() {
  local name from to
  ((MAJOR == 8)) || return 0
  [[ -n "$(enabled_module_streams)" ]] || return 0
  MODULE_STREAMS="$(mirror_module_streams)"
  while read -r name from to; do
    [[ "${to}" == "-" ]] || continue
    finding module-stream-unmapped "module ${name} is enabled on stream ${from}, which the AlmaLinux mirror does not have (and it has no stream to take its place)"
  done < <(module_remaps)
}

# Reads the mirror's BaseOS metadata: prints "V <version>" for the newest
# almalinux-release, "P <capability>" for what the almalinux-* packages
# there provide (nothing when it cannot be read: the other checks report an
# unreachable mirror).
mirror_release_metadata() {
  mirror_repodata BaseOS primary |
    awk '/<name>[^<]*<\/name>/ { name = $0; sub(/.*<name>/, "", name); sub(/<\/name>.*/, "", name)
        alma = (name ~ /^almalinux-/); if (alma) print "P " name
        want = (name == "almalinux-release"); next }
      want && /<version / { match($0, /ver="[^"]*"/); print "V " substr($0, RSTART + 5, RLENGTH - 6); want = 0 }
      /<rpm:provides>/ { prov = 1; next }
      /<\/rpm:provides>/ { prov = 0; next }
      prov && alma && /<rpm:entry / { match($0, /name="[^"]*"/); print "P " substr($0, RSTART + 6, RLENGTH - 7) }' |
    sort -u -V || true
}

# Sets MIRROR_PROVIDES.
check_mirror_release() {
  local version metadata
  metadata="$(mirror_release_metadata)"
  version="$(printf '%s\n' "${metadata}" | awk '$1 == "V" { print $2 }' | tail -n1)"
  mapfile -t MIRROR_PROVIDES < <(printf '%s\n' "${metadata}" | awk '$1 == "P" { print $2 }')
  if release_is_outdated "${version}"; then
    finding mirror-release-outdated "$(outdated_release_warning "${version}")"
  fi
}

# Packages that need something only the source's release-side packages
# provide (a vendor agent requiring centos-release): rpm's own test erase of
# those packages, less what AlmaLinux's release packages provide (from the
# mirror's metadata). The swap would remove them; before the point of no
# return step_download checks the same with dnf's resolution of the exact
# transaction. Only the release-side and branding packages are tested here:
# what the vendor packages' removal (VENDOR_PKGS) takes along, dnf's
# resolution shows (an installed counterpart is replaced, not removed).
# Adds to BLOCKERS and WARNINGS; sets DEPENDENTS.
check_dependents() {
  local cap pkg
  local -a release_side
  local -A seen=()
  DEPENDENTS=()
  mapfile -t release_side < <(installed_names "${SOURCE_RELEASE_PKGS[@]}" "${SOURCE_BRANDING_PKGS[@]}")
  ((${#release_side[@]} > 0)) || return 0
  if ((${#MIRROR_PROVIDES[@]} == 0)); then
    # A mirror that stopped answering is a blocker of its own, said once.
    mirror_failure >/dev/null && return 0
    finding mirror-provides-unreadable "what AlmaLinux's release packages provide could not be read from the mirror's BaseOS metadata: packages that depend on ${OS_NAME}'s release packages are checked only with dnf, after the download"
    return 0
  fi
  while read -r cap pkg; do
    [[ -n "${pkg}" && -z "${seen[${pkg}]:-}" ]] || continue
    [[ " ${MIRROR_PROVIDES[*]} " == *" ${cap} "* ]] && continue
    seen["${pkg}"]=1
    DEPENDENTS+=("${pkg}")
  done < <(LC_ALL=C rpm -e --test -- "${release_side[@]}" 2>&1 |
    awk '/ is needed by \(installed\) / { print $1, $NF }' |
    while read -r cap pkg; do
      printf '%s %s\n' "${cap}" "$(rpm -q --qf '%{NAME}\n' -- "${pkg}" 2>/dev/null | head -n1)"
    done)
  report_removals "${DEPENDENTS[@]}"
}

# Sorts packages the swap would remove ("$@") into accepted ones (--allow-remove:
# a warning) and the others (a blocker). Adds to BLOCKERS and WARNINGS.
report_removals() {
  local pkg
  local -a refused=() accepted=()
  for pkg in "$@"; do
    if [[ " ${ALLOW_REMOVE[*]} " == *" ${pkg} "* ]]; then
      accepted+=("${pkg}")
    else
      refused+=("${pkg}")
    fi
  done
  if ((${#refused[@]} > 0)); then
    finding dependent-packages "the release swap would remove ${refused[*]}: they depend on ${OS_NAME}'s release packages. Remove them first, or accept the removal with --allow-remove PKG (once per package)"
  fi
  if ((${#accepted[@]} > 0)); then
    finding removal-accepted "accepted with --allow-remove: the release swap removes ${accepted[*]}"
  fi
}

# Adds to BLOCKERS and WARNINGS; sets CHECK_TMP (the downloaded key file,
# which step_fetch_key takes over).
check_mirror_and_key() {
  local reason rc
  if [[ "${MIRROR}" == http://* ]]; then
    finding insecure-http "INSECURE: --allow-insecure-http: the mirror ${MIRROR} is plain http; anyone on the network path can serve old, validly signed repository metadata and hold this system at old, vulnerable builds"
  fi
  if [[ -n "${MIRROR_AUTH}" ]]; then
    finding mirror-credentials-not-kept "the mirror's user name and password are used for the migration only: the system's repository files will point at ${MIRROR} without them (add username= and password= to them yourself, mode 0600, if the system keeps using this mirror)"
  fi
  scratch_dir CHECK_TMP
  mkdir -m 0700 -- "${CHECK_TMP}/gnupg"
  if ! reason="$(fetch "$(key_url)" "${CHECK_TMP}/key" "${MAX_KEY_BYTES}" 2>&1)" ||
    [[ ! -s "${CHECK_TMP}/key" ]]; then
    finding mirror-unreachable "AlmaLinux mirror unreachable: ${reason:-$(key_url) is empty}"
    return
  fi
  # No answer at all (2) is check_mirror_failure's to report.
  rc=0
  url_exists "$(repo_url BaseOS)repodata/repomd.xml" || rc=$?
  if ((rc == 1)); then
    finding mirror-no-baseos "AlmaLinux mirror has no BaseOS repository at $(repo_url BaseOS)"
  fi
  rc=0
  url_exists "$(repo_url AppStream)repodata/repomd.xml" || rc=$?
  if ((rc == 1)); then
    finding mirror-no-appstream "AlmaLinux mirror has no AppStream repository at $(repo_url AppStream)"
  fi
  if ! command -v gpg >/dev/null; then
    return
  fi
  if ! reason="$(key_matches "${CHECK_TMP}/key" "${CHECK_TMP}/gnupg")"; then
    finding key-untrusted "untrusted AlmaLinux key: ${reason}. $(key_refusal_hint)"
  fi
}

# A probe of the mirror that got no usable answer (mirror_failure) is a
# blocker, reported once, naming the URL. Adds to BLOCKERS.
check_mirror_failure() {
  local reason
  reason="$(mirror_failure)" || return 0
  [[ " ${FINDING_IDS[*]} " != *" mirror-unreachable "* ]] || return 0
  finding mirror-unreachable "AlmaLinux mirror unreachable: ${reason}"
}

# Sets CONTAINER, SECURE_BOOT, SOURCE_PKGS, TARGET_PKGS and the findings.
# The key comes first from the mirror: when the mirror does not answer, that
# is what the report names, and later probes fail at once (mirror_failure).
preflight() {
  drop_findings
  detect_container
  check_root
  check_commands
  check_space
  check_dnf_idle
  if [[ -n "${CONTAINER}" ]]; then
    finding container "running in a container (${CONTAINER}): the host runs the kernel; the kernel, bootloader and EFI steps are skipped, and the transaction leaves the host's /proc and /sys alone"
  else
    check_secure_boot
    check_kernel_modules
    check_efi_partition
  fi
  check_releasever_pin
  check_mirror_and_key
  check_mirror_release
  find_release_packages
  if ! check_rpmdb; then
    :
  elif ((${#SOURCE_PKGS[@]} == 0)); then
    finding no-release-package "no release package of ${OS_NAME} found (rpm -q ${SOURCE_RELEASE_PKGS[*]:0:3} ...)"
  fi
  [[ -n "${CONTAINER}" ]] || check_kernels
  classify_repos
  check_excludes
  check_version_locks
  check_epel_next
  check_module_streams
  check_dependents
  if [[ -n "${CUSTOM_FPR}" ]]; then
    finding custom-key "TRUSTING A KEY GIVEN ON THE COMMAND LINE (--fingerprint ${CUSTOM_FPR}) INSTEAD OF THE PINNED ALMALINUX KEY"
  fi
  if [[ -n "${CONTAINER}" || -d /sys/firmware/efi ]] || command -v grub2-mkconfig >/dev/null; then
    :
  else
    finding no-bootloader "no bootloader found (container?): the bootloader step will be skipped"
  fi
  check_mirror_failure
}

print_report() {
  local item
  printf '\n== AlmaLinux migration preflight ==\n'
  printf 'System:       %s %s (ID=%s), %s\n' "${OS_NAME}" "${OS_VERSION}" "${OS_ID}" "${ARCH}"
  printf 'Target:       AlmaLinux %s\n' "${MAJOR}"
  printf 'Mirror:       %s\n' "$(mirror_shown)"
  printf 'Trusted key:  %s\n' "$(accepted_fingerprints | paste -sd' ' -)"
  printf '\nBlockers (%d):\n' "${#BLOCKERS[@]}"
  for item in "${BLOCKERS[@]}"; do printf '  - %s\n' "${item}"; done
  printf '\nWarnings (%d):\n' "${#WARNINGS[@]}"
  for item in "${WARNINGS[@]}"; do printf '  - %s\n' "${item}"; done
  printf '\nThird-party repositories (kept enabled, not used for the migration) (%d):\n' \
    "${#THIRD_PARTY_REPOS[@]}"
  for item in "${THIRD_PARTY_REPOS[@]}"; do printf '  - %s\n' "${item}"; done
  printf '\nWhat would change:\n'
  printf '  - remove: %s\n' "${SOURCE_PKGS[*]:-none}"
  if ((${#DEPENDENTS[@]} > 0)); then
    printf '  - removed with them (they depend on them): %s\n' "${DEPENDENTS[*]}"
  fi
  printf '  - install: %s (those the AlmaLinux repositories have)\n' "${TARGET_PKGS[*]}"
  printf '  - disabled with the source repositories: %s\n' \
    "$(printf '%s\n' "${SOURCE_REPO_FILES[@]##*/}" | paste -sd' ' -)"
  printf '  - distro-sync: every installed package the AlmaLinux repositories have is\n'
  printf '    replaced by its AlmaLinux build (upgrade, downgrade or reinstall)\n'
  if ((${#TXN_INSTALL[@]} + ${#TXN_UPGRADE[@]} + ${#TXN_REINSTALL[@]} + ${#TXN_REMOVE[@]} > 0)); then
    printf '  - the transaction as dnf resolves it from the mirror'"'"'s metadata: install %d, upgrade %d, reinstall %d, downgrade %d, remove %d\n' \
      "${#TXN_INSTALL[@]}" "${#TXN_UPGRADE[@]}" "${#TXN_REINSTALL[@]}" "${#DOWNGRADES[@]}" "${#TXN_REMOVE[@]}"
    printf '  - %s\n' "$(downgrade_note)"
    printf '  - left with their vendor (no AlmaLinux build of that name) (%d): %s\n' \
      "${#LEFT_UNMIGRATED[@]}" "${LEFT_UNMIGRATED[*]:-none}"
  fi
  ((MAJOR == 8)) && printf '  - module streams remapped where AlmaLinux names them differently\n'
  if [[ -n "${CONTAINER}" ]]; then
    printf '  - kernel, bootloader and EFI steps skipped: a container (%s)\n' "${CONTAINER}"
  else
    printf '  - bootloader configuration regenerated (skipped where there is none)\n'
  fi
  if ((${#BLOCKERS[@]} == 0)); then
    printf '\nResult: READY\n\n'
  else
    printf '\nResult: NOT READY (%d blocker(s))\n\n' "${#BLOCKERS[@]}"
  fi
}

#######################################
# Logging and the work directory (real runs only).
#######################################
# Opens the log (fd 8) for appending: created mode 0600, and only a plain
# file of our own with a single link, never through a symlink (someone
# could point it at a file root must not append to).
open_log() {
  local dir
  dir="$(dirname -- "${LOG_FILE}")"
  mkdir -p -- "${dir}"
  if [[ -L "${LOG_FILE}" ]]; then
    bail "${EXIT_BLOCKED}" "the log ${LOG_FILE} is a symbolic link: refusing to write through it. Remove it or choose another --log. Nothing changed."
  fi
  if [[ ! -e "${LOG_FILE}" ]]; then
    # noclobber: the file is created here (O_EXCL), not found.
    (
      umask 077
      set -o noclobber
      : >"${LOG_FILE}"
    ) 2>/dev/null || bail "${EXIT_BLOCKED}" "cannot create the log ${LOG_FILE}. Nothing changed."
  fi
  if [[ -L "${LOG_FILE}" || ! -f "${LOG_FILE}" || ! -O "${LOG_FILE}" ]] ||
    [[ "$(stat -c %h -- "${LOG_FILE}")" != 1 ]]; then
    bail "${EXIT_BLOCKED}" "the log ${LOG_FILE} is not a plain file of this user's with one link: refusing to write to it. Nothing changed."
  fi
  exec 8>>"${LOG_FILE}"
  # Swapped for a link since the check: the opened file is another one.
  if [[ -L "${LOG_FILE}" || ! /dev/fd/8 -ef "${LOG_FILE}" ]]; then
    exec 8>&-
    bail "${EXIT_BLOCKED}" "the log ${LOG_FILE} changed while it was opened: refusing to write to it. Nothing changed."
  fi
  chmod 0600 -- "${LOG_FILE}"
}

# Becomes tee "$@", run in a process substitution as a copier of the
# script's output: it ignores the signals that end a run (Ctrl-C and a
# dropped SSH session reach the whole process group), so it ends only when
# the script closes its side and the script's last words still pass, and it
# does not hold the work directory's lock (fd 9).
copier_tee() {
  trap '' INT HUP TERM
  exec 9>&-
  exec tee "$@"
}

# Sends the output to the terminal and the log through tee (fd 7). Changes
# TEE_PID, TEE_PIPE, TEE_ERRORS.
start_logging() {
  local scratch
  open_log
  scratch_dir scratch
  TEE_ERRORS="${scratch}/tee-errors"
  : >"${TEE_ERRORS}"
  # Ctrl-C and a dropped SSH session signal the whole process group: tee
  # ignores them and ends when the script closes its output, so die's restore
  # and last words still reach the log. A reader that goes away (| head, an
  # SSH session without a tty) does not end tee either (--output-error: no
  # SIGPIPE; it goes on writing the log and says so in TEE_ERRORS, see
  # output_lost), so the script is never killed by SIGPIPE. tee writes to the
  # file opened above, not to its name, and does not hold the work
  # directory's lock (fd 9).
  exec 7> >(copier_tee --output-error=warn -a /dev/fd/8 2>>"${TEE_ERRORS}")
  TEE_PID="$!"
  exec >&7 2>&7 8>&-
  TEE_PIPE="$(readlink -- /proc/"$$"/fd/7 2>/dev/null)" || TEE_PIPE=""
  log "${SCRIPT_NAME} ${VERSION} started: $(redact "$@")"
  if [[ "${MIRROR}" == http://* ]]; then
    warn "INSECURE: --allow-insecure-http: the mirror ${MIRROR} is plain http; anyone on the network path can serve old, validly signed repository metadata"
  fi
}

# --check without --log: when the output goes to a pipe, its reader may go
# away (| head) and the next write would kill the check with SIGPIPE, before
# its --report and its exit status. The output goes through tee instead,
# which drops what it can no longer write and reads on (the check itself
# never notices; tee stops only when all its outputs failed, and /dev/null
# never does); stderr too when it is the same pipe. A terminal or a file
# is written directly. stop_logging ends tee at exit. Changes TEE_PID,
# TEE_PIPE.
guard_output() {
  local same=0
  [[ -p /dev/stdout ]] || return 0
  [[ /dev/stdout -ef /dev/stderr ]] && same=1
  exec 7> >(copier_tee --output-error=warn /dev/null 2>/dev/null)
  TEE_PID="$!"
  exec >&7
  ((same == 0)) || exec 2>&7
  exec 7>&-
  TEE_PIPE="$(readlink -- /proc/"$$"/fd/1 2>/dev/null)" || TEE_PIPE=""
}

# True when the output's reader went away (tee could not write to it). The
# log is a step behind: the last line written must reach it first (tee
# writes the terminal before the log), for at most 5 seconds.
output_lost() {
  local marker="$1" tries=0
  [[ -n "${TEE_ERRORS}" && -n "${TEE_PID}" ]] || return 1
  while [[ "${PHASE}" != "post" ]] && ((tries < 250)) &&
    ! tail -n 20 -- "${LOG_FILE}" 2>/dev/null | grep -qF -- "${marker}"; do
    sleep 0.02
    tries=$((tries + 1))
  done
  [[ -s "${TEE_ERRORS}" ]]
}

# Before the point of no return a run whose output nobody reads any more
# stops (nothing changed); after it, it finishes and the log has everything.
# Changes OUTPUT_LOST.
check_output() {
  local marker="$1"
  ((OUTPUT_LOST == 0)) || return 0
  output_lost "${marker}" || return 0
  if [[ "${PHASE}" == "post" ]]; then
    OUTPUT_LOST=1
    log "the output's reader went away ($(head -n 1 -- "${TEE_ERRORS}")): the migration goes on; everything is in ${LOG_FILE}"
    return 0
  fi
  die "the output's reader went away ($(head -n 1 -- "${TEE_ERRORS}")): stopping before the point of no return" \
    "Run it again with its output to a terminal or a file (the log ${LOG_FILE} has this run)."
}

open_work_dir() {
  mkdir -p -- "${WORK_DIR}"
  chmod 0700 "${WORK_DIR}"
  lock_work_dir
}

# Takes the work directory's lock (fd 9), once, before the state file is
# read; --check only waits on an existing lock file, it creates none. Sets
# LOCKED.
lock_work_dir() {
  ((LOCKED == 0)) || return 0
  [[ -d "${WORK_DIR}" ]] || return 0
  if ! command -v flock >/dev/null; then
    # --check reports it as a blocker.
    ((CHECK_ONLY == 1)) && return 0
    bail "${EXIT_BLOCKED}" "required command missing: flock (it keeps two runs apart). Nothing changed."
  fi
  if ((CHECK_ONLY == 1)) || ((EUID != 0)); then
    [[ -r "${LOCK_FILE}" ]] || return 0
    exec 9<"${LOCK_FILE}"
  else
    exec 9>>"${LOCK_FILE}"
  fi
  flock -n 9 ||
    bail "${EXIT_BLOCKED}" "another ${SCRIPT_NAME} is running (lock ${LOCK_FILE}). Nothing changed."
  LOCKED=1
}

discard_work() {
  rm -rf -- "${CACHE_DIR}" "${REPOS_DIR}" "${KEYRING_DIR}" "${STATE_FILE}" \
    "${STATE_FILE}.tmp" "${WORK_DIR}/dnf-log" "${WORK_DIR}/dnf-persist"
}

#######################################
# Steps before the point of no return.
#######################################
# Where the mirror's key file waits for step_verify_key (never given to rpm).
key_download() {
  printf '%s/key-download' "${WORK_DIR}"
}

step_fetch_key() {
  local reason
  # An export left by an earlier run must not stand in for this mirror's key.
  rm -f -- "$(key_file)"
  # The file preflight checked is the one verified and used.
  if [[ -n "${CHECK_TMP}" && -s "${CHECK_TMP}/key" ]]; then
    cp -f -- "${CHECK_TMP}/key" "$(key_download)"
  elif ! reason="$(fetch "$(key_url)" "$(key_download)" "${MAX_KEY_BYTES}" 2>&1)"; then
    die "cannot download the AlmaLinux key: ${reason}" "Check the mirror and the network."
  fi
  log "AlmaLinux key downloaded from $(key_url) (verified next)"
}

# Checks the downloaded key file and writes to key_file() only a minimal,
# clean export of the accepted key: rpm never sees the mirror's file.
step_verify_key() {
  local reason home="${WORK_DIR}/gnupg"
  local -a fprs
  rm -rf -- "${home}"
  mkdir -m 0700 -- "${home}"
  if ! reason="$(key_matches "$(key_download)" "${home}")"; then
    gpgconf --homedir "${home}" --kill all >/dev/null 2>&1 || true
    rm -rf -- "${home}" "$(key_download)"
    die "refusing the AlmaLinux key: ${reason}" "$(key_refusal_hint)"
  fi
  mapfile -t fprs < <(key_fingerprints "${home}")
  if ! gpg_tmp "${home}" --export-options export-minimal,export-clean --armor \
    --export "${fprs[@]}" >"$(key_file).tmp" || [[ ! -s "$(key_file).tmp" ]]; then
    die "cannot export the verified AlmaLinux key from ${home}"
  fi
  mv -f -- "$(key_file).tmp" "$(key_file)"
  rm -f -- "$(key_download)"
  gpgconf --homedir "${home}" --kill all >/dev/null 2>&1 || true
  rm -rf -- "${home}"
  if [[ -n "${CUSTOM_FPR}" ]]; then
    warn "TRUSTING THE KEY GIVEN WITH --fingerprint ${CUSTOM_FPR}, NOT THE PINNED ALMALINUX KEY"
  fi
  log "key fingerprint verified: $(accepted_fingerprints | paste -sd' ' -)"
}

# The mirror's user name and password as dnf repository options (nothing
# without them): dnf must not find them in the baseurl, which it prints.
repo_credentials() {
  [[ -n "${MIRROR_AUTH}" ]] || return 0
  printf '# the mirror'"'"'s credentials: this file is readable by root only (mode 0600)\n'
  printf 'username=%s\npassword=%s\n' "$(url_decode "${MIRROR_AUTH%%:*}")" \
    "$(url_decode "${MIRROR_AUTH#*:}")"
}

# One repository section; $3 is 1 when the mirror signs its repomd.xml; $4
# the key file (default key_file), $5 the location line (default
# repo_location).
write_repo() {
  local id="$1"
  local dir="$2"
  local signed="${3:-0}"
  local key="${4:-$(key_file)}"
  local location="${5:-$(repo_location "${id}" "${dir}")}"
  cat <<EOF
[${id}]
name=AlmaLinux ${MAJOR} - ${dir} (almalinux-migrate)
${location}
enabled=1
gpgcheck=1
repo_gpgcheck=${signed}
gpgkey=file://${key}
$(repo_credentials)
metadata_expire=-1
skip_if_unavailable=False

EOF
}

# Where dnf finds a repository. A file:// baseurl makes dnf read packages in
# place, from the live tree, after their copies were verified; listed in a
# mirrorlist the same tree is copied into the cache like a remote one, so
# the files verified are the files installed.
repo_location() {
  local id="$1"
  local dir="$2"
  if [[ "${MIRROR}" == file://* ]]; then
    printf 'mirrorlist=file://%s' "$(mirrorlist_file "${id}" "${dir}")"
  else
    printf 'baseurl=%s' "$(repo_url "${dir}")"
  fi
}

# The mirrorlist of a file:// repository. dnf names its cache after the
# mirrorlist's address: one per tree, so another mirror is never served
# from this one's cache.
mirrorlist_file() {
  local id="$1"
  local dir="$2"
  printf '%s/%s-%s.mirrorlist' "${REPOS_DIR}" "${id}" \
    "$(repo_url "${dir}" | sha256sum | cut -c1-16)"
}

# Writes the repository file (and dnf.conf) of the migration. A repository
# whose repomd.xml is signed (repomd.xml.asc) gets repo_gpgcheck: dnf then
# refuses its metadata unless the verified key signed it.
step_prepare_repos() {
  local checked
  rm -rf -- "${REPOS_DIR}"
  mkdir -p -- "${REPOS_DIR}" "${CACHE_DIR}"
  install -m 0600 /dev/null "${REPOS_DIR}/almalinux-migrate.repo"
  write_dnf_conf
  checked="$(write_repos "${REPOS_DIR}/almalinux-migrate.repo" "$(key_file)" mirrorlist)" ||
    die "AlmaLinux mirror unreachable: $(mirror_failure || printf 'a repository probe failed')" \
      "Check the --mirror URL, the network and the proxy, then run the script again."
  log "AlmaLinux repositories (only these are used): $(grep -c '^\[' "${REPOS_DIR}/almalinux-migrate.repo") at ${MIRROR}; signed metadata (repomd.xml.asc, checked):${checked:- none}"
}

# Appends the mirror's repositories to the repo file $1, with the key file
# $2; $3 "mirrorlist" (file:// trees are read through a mirrorlist, see
# repo_location) or "baseurl". Prints the ids whose repomd.xml is signed;
# fails when a probe of the mirror got no answer (mirror_failure says which).
write_repos() {
  local file="$1" key="$2" how="$3"
  local entry id dir signed checked="" location rc
  local -a repos=(baseos:BaseOS appstream:AppStream)
  if ((MAJOR == 8)); then repos+=(powertools:PowerTools); else repos+=(crb:CRB); fi
  repos+=(extras:extras)
  for entry in "${repos[@]}"; do
    id="${entry%%:*}"
    dir="${entry#*:}"
    # A probe the mirror does not answer fails this: a stalled signature
    # is not an unsigned repository.
    if [[ "${id}" != "baseos" && "${id}" != "appstream" ]]; then
      rc=0
      url_exists "$(repo_url "${dir}")repodata/repomd.xml" || rc=$?
      ((rc != 2)) || return 1
      ((rc == 0)) || continue
    fi
    signed=0
    rc=0
    url_exists "$(repo_url "${dir}")repodata/repomd.xml.asc" || rc=$?
    ((rc != 2)) || return 1
    if ((rc == 0)); then
      signed=1
      checked+=" ${id}"
    fi
    location=""
    if [[ "${how}" == "baseurl" ]]; then
      location="baseurl=$(repo_url "${dir}")"
    elif [[ "${MIRROR}" == file://* ]]; then
      printf '%s\n' "$(repo_url "${dir}")" >"$(mirrorlist_file "${id}" "${dir}")"
    fi
    write_repo "${id}" "${dir}" "${signed}" "${key}" "${location}" >>"${file}"
  done
  printf '%s' "${checked}"
}

# Resolves and downloads (into the cache, nothing installed) every
# transaction the steps after the point of no return run: the EL8 module
# stream switches, the release swap (alone, and with the distro-sync), the
# distro-sync; so that nothing new is needed after it. Changes TARGET_PKGS,
# MODULE_STREAMS, DOWNLOAD_ERROR.
step_download() {
  local -a available wanted=()
  local pkg names name from to version remaps messages rc=0
  # dnf's messages are kept to say which metadata download failed.
  messages="$(mktemp)"
  names="$(dnf_run pre -q repoquery --qf '%{name} %{version}' "${TARGET_PKGS[@]}" 2>"${messages}")" ||
    rc=$?
  cat -- "${messages}" >&2
  ((rc == 0)) || DOWNLOAD_ERROR="$(redact "$(download_error <"${messages}")")"
  rm -f -- "${messages}"
  ((rc == 0)) ||
    die "cannot read the AlmaLinux repository metadata at ${MIRROR}${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}" "Check the mirror and the network."
  mapfile -t available < <(printf '%s\n' "${names}" | awk '{ print $1 }' | sort -u)
  for pkg in "${TARGET_PKGS[@]}"; do
    if [[ " ${available[*]} " == *" ${pkg} "* ]]; then
      wanted+=("${pkg}")
    elif [[ "${pkg}" == "almalinux-release" ]]; then
      die "the AlmaLinux repositories at ${MIRROR} have no almalinux-release package" \
        "Check that --mirror points at an AlmaLinux ${MAJOR} tree."
    elif [[ "${pkg}" == "kernel" ]]; then
      # check_kernels asked for it: without it the system would keep no
      # AlmaLinux kernel.
      die "the AlmaLinux repositories at ${MIRROR} have no kernel package, and this system's only kernels are another vendor's ($(installed_kernels | paste -sd' ' -))" \
        "Use a mirror with the complete BaseOS repository of AlmaLinux ${MAJOR}."
    else
      log "not in the AlmaLinux repositories, skipped: ${pkg}"
    fi
  done
  TARGET_PKGS=("${wanted[@]}")
  version="$(printf '%s\n' "${names}" | awk '$1 == "almalinux-release" { print $2 }' | sort -V | tail -n1)"
  if release_is_outdated "${version}"; then
    warn "$(outdated_release_warning "${version}")"
  fi
  MODULE_STREAMS="$(cached_module_streams)"
  [[ -n "${MODULE_STREAMS}" ]] || MODULE_STREAMS="$(mirror_module_streams)"
  remaps=""
  while read -r name from to; do
    [[ -n "${name}" ]] || continue
    if [[ "${to}" == "-" ]]; then
      PHASE="start"
      discard_work
      bail "${EXIT_BLOCKED}" "module ${name} is enabled on stream ${from}, which the AlmaLinux repositories do not have. Nothing changed."
    fi
    # --downloadonly: the stream stays as it is; the swap transaction
    # switches it (and the test transaction tests that).
    dnf_download module switch-to "${name}:${to}" ||
      die "downloading the packages of module stream ${name}:${to} failed${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}" "Check the mirror, the network and the dnf messages above."
    remaps+="${remaps:+ }${name}:${from}:${to}"
  done < <(module_remaps)
  state_save MODULE_REMAPS "${remaps}"
  dnf_download install --allowerasing "${TARGET_PKGS[@]}" ||
    die "downloading the AlmaLinux release packages failed${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}" "Check the mirror and the network."
  dnf_download distro-sync ||
    die "downloading the AlmaLinux packages (distro-sync) failed${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}" "Check the mirror, the network and the dnf messages above${KEEP_LOCKED[*]:+; version-locked packages kept at their builds (${KEEP_LOCKED[*]}) can hold the sync back: --migrate-locked migrates them}."
  check_download_excludes
  state_save TARGET_PKGS "${TARGET_PKGS[*]}"
  log "downloaded: $(find "${CACHE_DIR}" -name '*.rpm' | wc -l) package(s) in ${CACHE_DIR}"
}

# The dnf shell script of the swap transaction (swap_with_dnf runs the same
# one): switch the EL8 module streams of the remaps in $@ ("name:from:to"),
# remove the source's release-side and vendor packages, install AlmaLinux's,
# distro-sync everything else.
swap_script() {
  local -a old
  module_switch_commands "$@"
  mapfile -t old < <(installed_names "${SOURCE_PKGS[@]}")
  ((${#old[@]} > 0)) && printf 'remove %s\n' "${old[*]}"
  printf 'install %s\n' "${TARGET_PKGS[*]}"
  printf '%s\n' distro-sync run
}

# Reads dnf's transaction table (stdin) and prints "kind name" lines, kind
# one of install upgrade reinstall downgrade remove. A package line starts
# with one space and its name; a long name wraps onto a line of its own,
# the rest follows further indented ("replacing" lines too).
transaction_table() {
  awk '/^[A-Z][^:]*:[ \t]*$/ {
        kind = ""
        if ($0 ~ /^Installing/) kind = "install"
        else if ($0 ~ /^Upgrading/) kind = "upgrade"
        else if ($0 ~ /^Reinstalling/) kind = "reinstall"
        else if ($0 ~ /^Downgrading/) kind = "downgrade"
        else if ($0 ~ /^Removing/) kind = "remove"
        next }
      /^[ \t]*$/ || /^Transaction Summary/ { kind = ""; next }
      kind != "" && /^ [^ ]/ { print kind, $1 }'
}

# Reads dnf's output of the swap transaction (stdin) and prints what keeps
# it from running, "finding id<TAB>detail" lines: rpm's test transaction
# (file conflicts, disk space), rpm's dependency check, or a resolution
# that failed; also a module switch dnf could not make (it resolves and
# tests the rest of the script all the same, against the old stream). Disk
# space is one finding per file system and kind (space, inodes): rpm names
# each package that does not fit, with the shortfall so far, and dnf's
# "Error Summary" repeats the total ("At least 43MB more space needed on the
# /opt filesystem."), which is the one that counts.
transaction_problems() {
  awk -v OFS='\t' '
    function disk_key(line, kind) {
      kind = (line ~ /inodes|file nodes/) ? "inodes" : "space"
      if (!match(line, / on the .* filesystem/)) return ""
      return kind " " substr(line, RSTART + 8, RLENGTH - 19)
    }
    /conflicts with file from package|conflicts between attempted installs of/ {
      sub(/^[ \t]+/, ""); print "transaction-file-conflict", $0; found = 1; next }
    /needs [0-9.]+ ?[KMG]?B? more space|more space needed on|needs [0-9]+ more inodes|more file nodes needed/ {
      line = $0; sub(/^[ \t]+/, "", line); found = 1
      key = disk_key(line)
      if (key == "") { print "transaction-disk-space", line; next }
      if (!(key in disk)) { keys[++nkeys] = key; disk[key] = "" }
      if (line ~ /^At least/) { sub(/\.$/, "", line); total[key] = line; next }
      disk[key] = line
      if (match(line, /package [^ ]+ needs/))
        pkgs[key] = pkgs[key] (pkgs[key] == "" ? "" : ", ") substr(line, RSTART + 8, RLENGTH - 14)
      next }
    /^Transaction Summary/ { summary = 1 }
    /^Unable to resolve argument|^broken groups or modules:|^Error: Problems in request:/ { request = 1 }
    /Transaction (check|test) error:/ { rpm = 1; next }
    rpm && /^[ \t]+[^ \t]/ { line = $0; sub(/^[ \t]+/, "", line); rpmerr = rpmerr (rpmerr == "" ? "" : "; ") line; next }
    rpm { rpm = 0 }
    /^Error:|^Problem|^ *- |nothing provides|is needed by|but none of the providers|^Unable to resolve argument|^broken groups or modules:/ {
      if ($0 ~ /^Error: Operation aborted/) next
      line = $0; sub(/^[ \t]+/, "", line); problems = problems (problems == "" ? "" : "; ") line }
    END {
      for (i = 1; i <= nkeys; i++) {
        key = keys[i]
        if (key in total) print "transaction-disk-space", total[key] (pkgs[key] != "" ? " (installing " pkgs[key] ")" : "")
        else print "transaction-disk-space", disk[key]
      }
      if (found) exit
      if (!summary) print "transaction-dependency-problem", (problems != "" ? problems : "dnf could not resolve the transaction (no transaction table)")
      else if (request) print "transaction-dependency-problem", problems
      else if (rpmerr != "") print "transaction-dependency-problem", rpmerr }'
}

# Fills TXN_INSTALL, TXN_UPGRADE, TXN_REINSTALL, DOWNGRADES, TXN_REMOVE and
# LEFT_UNMIGRATED from dnf's transaction table (the text in $1), and prints
# the names the swap would remove beyond the release-side and vendor
# packages it replaces, one a line.
# Changes TXN_INSTALL, TXN_UPGRADE, TXN_REINSTALL, DOWNGRADES, TXN_REMOVE,
# LEFT_UNMIGRATED.
read_transaction() {
  local out="$1" kind name vendor
  local -A touched=()
  TXN_INSTALL=() TXN_UPGRADE=() TXN_REINSTALL=() DOWNGRADES=() TXN_REMOVE=() LEFT_UNMIGRATED=()
  while read -r kind name; do
    [[ -n "${name}" ]] || continue
    touched["${name}"]=1
    case "${kind}" in
      install) TXN_INSTALL+=("${name}") ;;
      upgrade) TXN_UPGRADE+=("${name}") ;;
      reinstall) TXN_REINSTALL+=("${name}") ;;
      downgrade) DOWNGRADES+=("${name}") ;;
      remove) TXN_REMOVE+=("${name}") ;;
      *) ;;
    esac
  done < <(printf '%s\n' "${out}" | transaction_table | sort -u)
  while read -r name vendor; do
    [[ -n "${name}" && "${name}" != "gpg-pubkey" && -z "${touched[${name}]:-}" ]] || continue
    [[ "${vendor}" == "AlmaLinux" ]] || LEFT_UNMIGRATED+=("${name}")
  done < <(rpm -qa --qf '%{NAME} %{VENDOR}\n' 2>/dev/null | sort -u)
}

# The names of TXN_REMOVE the swap does not remove by design, one a line.
extra_removals() {
  ((${#TXN_REMOVE[@]} > 0)) || return 0
  printf '%s\n' "${TXN_REMOVE[@]}" |
    grep -vxF -f <(printf '%s\n' "${SOURCE_RELEASE_PKGS[@]}" "${SOURCE_BRANDING_PKGS[@]}" \
      "${SOURCE_PKGS[@]}" gpg-pubkey) | sort -u || true
}

# Records the problems transaction_problems finds in dnf's output $1 as
# findings, and a resolution (read_transaction's TXN_INSTALL) that does not
# install almalinux-release; succeeds when it found one. Changes
# FINDING_IDS, BLOCKERS.
transaction_findings() {
  local out="$1" id detail status=1
  while IFS=$'\t' read -r id detail; do
    [[ -n "${id}" ]] || continue
    finding "${id}" "${detail}"
    status=0
  done < <(printf '%s\n' "${out}" | transaction_problems)
  # A transaction rpm accepts proves nothing unless it is the swap: one that
  # leaves almalinux-release out (or does nothing) would pass all the same.
  if ((status == 1)) && [[ " ${TXN_INSTALL[*]} " != *" almalinux-release "* ]]; then
    finding transaction-not-the-swap "dnf's resolution installs ${#TXN_INSTALL[@]} package(s), almalinux-release not among them"
    status=0
  fi
  return "${status}"
}

# A package the swap would remove that is not accepted with --allow-remove,
# and every problem of the test transaction, stop the run (nothing changed;
# accepted removals are logged and kept in the state for the final report).
# Changes STATE, BLOCKERS, WARNINGS, PHASE.
check_swap_removals() {
  local -a removals
  mapfile -t removals < <(extra_removals)
  drop_findings dependent-packages removal-accepted
  report_removals "${removals[@]}"
  if ((${#BLOCKERS[@]} > 0)); then
    PHASE="start"
    discard_work
    bail "${EXIT_BLOCKED}" "${BLOCKERS[0]} (dnf's resolution of the swap transaction). Nothing changed."
  fi
  if ((${#removals[@]} > 0)); then
    warn "accepted with --allow-remove: the release swap removes ${removals[*]}"
  fi
  state_save REMOVALS "${removals[*]}"
}

# Before the backup and the point of no return: the swap transaction itself
# (swap_script), resolved by dnf from the verified cache (--cacheonly) and
# handed to rpm as a test transaction (tsflags=test: rpm checks
# dependencies, file conflicts and disk space, runs no scriptlet, changes
# nothing). rpm -U --test over the package files cannot do this: it cannot
# erase and install in one transaction, so every file a release package
# hands over reads as a conflict. "dnf shell" exits 0 after a failed
# transaction: its output decides. A problem is a blocker (exit 4, nothing
# changed). On EL8 the module streams the swap switches are switched in the
# same dnf shell first, so the modular packages resolve as in the swap; dnf
# keeps that switch in memory under tsflags=test, unless the package
# transaction comes out empty (a resolution that failed): then it writes it,
# and restore_module_state puts it back. Changes DOWNGRADES and the TXN_*
# lists (read_transaction), STATE, BLOCKERS, WARNINGS, PHASE.
step_test_transaction() {
  local script="${WORK_DIR}/swap-test.dnf" modules="${WORK_DIR}/modules.d-before-test" out before started
  local -a remaps
  # Its cost is logged: it lengthens every run, before anything is done.
  started="$(now_ns)"
  mapfile -t remaps < <(pending_module_remaps)
  swap_script "${remaps[@]}" >"${script}"
  before="$(module_state_digest)"
  rm -rf -- "${modules}"
  [[ ! -d "${MODULES_DIR}" ]] || cp -a -- "${MODULES_DIR}" "${modules}"
  # "dnf sh", not "dnf shell": only the swap itself runs "dnf shell", so the
  # log (and a fault injected into it) tells the two apart.
  out="$(LC_ALL=C dnf_run pre --cacheonly --setopt=tsflags=test sh "${script}" 2>&1)" || true
  restore_module_state "${modules}" "${before}"
  rm -f -- "${script}"
  printf '%s\n' "${out}" >&2
  read_transaction "${out}"
  drop_findings transaction-file-conflict transaction-dependency-problem transaction-disk-space \
    transaction-not-the-swap
  if transaction_findings "${out}"; then
    PHASE="start"
    discard_work
    bail "${EXIT_BLOCKED}" "rpm's test of the swap transaction failed: ${BLOCKERS[0]}. Nothing changed."
  fi
  if [[ "${out}" != *"Transaction test succeeded"* ]]; then
    die "dnf did not run rpm's test of the swap transaction:
$(printf '%s\n' "${out}" | tail -n 5)" "Read the dnf messages in the log."
  fi
  check_swap_removals
  log "test transaction passed in $(awk -v s="${started}" -v e="$(now_ns)" 'BEGIN { printf "%.3f", (e - s) / 1e9 }') s (rpm: dependencies, file conflicts, disk space): install ${#TXN_INSTALL[@]}, upgrade ${#TXN_UPGRADE[@]}, reinstall ${#TXN_REINSTALL[@]}, downgrade ${#DOWNGRADES[@]}, remove ${#TXN_REMOVE[@]}; left with their vendor: ${#LEFT_UNMIGRATED[@]}"
}

step_verify_signatures() {
  local -a files
  mapfile -t files < <(find "${CACHE_DIR}" -name '*.rpm' -type f | sort)
  ((${#files[@]} > 0)) || die "no package was downloaded"
  make_keyring
  rm -f -- "${VERIFIED_LIST}"
  verify_new_packages
  rpm -qp --qf '%{NAME} %{VERSION}\n' -- "${files[@]}" 2>/dev/null |
    awk -v m="${MAJOR}" '$1 == "almalinux-release" { split($2, v, "."); if (v[1] != m) bad = 1; seen = 1 }
      END { exit (seen && !bad) ? 0 : 1 }' ||
    die "the downloaded almalinux-release is not AlmaLinux ${MAJOR}"
  log "signatures verified: ${#files[@]} package(s), all signed by the trusted key"
}

step_backup() {
  local path
  BACKUP_DIR="${WORK_DIR}/backup-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p -- "${BACKUP_DIR}/root"
  : >"${BACKUP_DIR}/absent"
  for path in "${BACKUP_PATHS[@]}"; do
    if [[ -e "${path}" || -L "${path}" ]]; then
      cp -a --parents -- "${path}" "${BACKUP_DIR}/root/"
    else
      printf '%s\n' "${path}" >>"${BACKUP_DIR}/absent"
    fi
  done
  rpm -qa --qf '%{NAME}-%{EPOCHNUM}:%{VERSION}-%{RELEASE}.%{ARCH} %{VENDOR}\n' |
    sort >"${BACKUP_DIR}/packages.txt"
  sync
  BACKUP_COMPLETE=1
  state_save BACKUP_DIR "${BACKUP_DIR}"
  log "backup written to ${BACKUP_DIR}"
}

# Puts the saved files back, byte-identical (only before the point of no return).
restore_backup() {
  local path
  # An unfinished backup is never copied back: nothing was changed yet.
  ((BACKUP_COMPLETE == 1)) || return 0
  for path in "${BACKUP_PATHS[@]}"; do
    if [[ -e "${BACKUP_DIR}/root${path}" || -L "${BACKUP_DIR}/root${path}" ]]; then
      rm -rf -- "${path}"
      cp -a -- "${BACKUP_DIR}/root${path}" "${path}"
    elif grep -qx -- "${path}" "${BACKUP_DIR}/absent" 2>/dev/null; then
      rm -rf -- "${path}"
    fi
  done
  sync
  printf '%s: restored the saved files from %s\n' "${SCRIPT_NAME}" "${BACKUP_DIR}" >&2
}

# How many packages the swap transaction downgrades (DOWNGRADES), and why
# on CentOS Stream.
downgrade_note() {
  printf 'downgrade: %d package(s)%s' "${#DOWNGRADES[@]}" "${DOWNGRADES[*]:+ (${DOWNGRADES[*]})}"
  if [[ "${OS_NAME}" == *Stream* ]] && ((${#DOWNGRADES[@]} > 0)); then
    printf ': CentOS Stream runs ahead of the RHEL minor release AlmaLinux follows, so these get AlmaLinux'"'"'s older builds'
  fi
}

confirm() {
  local answer=""
  log "$(downgrade_note)"
  ((ASSUME_YES == 1)) && return 0
  printf '\nAbout to migrate %s %s to AlmaLinux %s:\n' "${OS_NAME}" "${OS_VERSION}" "${MAJOR}"
  printf '  remove:  %s\n' "${SOURCE_PKGS[*]}"
  printf '  install: %s\n' "${TARGET_PKGS[*]}"
  if [[ -n "${STATE[REMOVALS]:-}" ]]; then
    printf '  also remove (accepted with --allow-remove): %s\n' "${STATE[REMOVALS]}"
  fi
  printf '  then distro-sync %s verified package(s) from %s\n' \
    "$(find "${CACHE_DIR}" -name '*.rpm' | wc -l)" "${MIRROR}"
  printf '  %s\n' "$(downgrade_note)"
  printf 'Continue? [y/N] '
  read -r answer || answer=""
  if [[ "${answer}" != [yY]* ]]; then
    PHASE="start"
    discard_work
    printf '%s: not confirmed; nothing changed.\n' "${SCRIPT_NAME}" >&2
    exit "${EXIT_DECLINED}"
  fi
}

#######################################
# Steps after the point of no return (each one can be re-run).
#######################################
step_swap_release() {
  local -a old new have missing=() remaps=() carried=()
  local pkg
  run rpm --import "$(key_file)" || die "cannot import the AlmaLinux key into the rpm database"
  remove_duplicates
  read -r -a old <<<"${STATE[SOURCE_PKGS]}"
  read -r -a new <<<"${STATE[TARGET_PKGS]}"
  mapfile -t old < <(installed_names "${old[@]}")
  mapfile -t have < <(installed_names "${new[@]}")
  for pkg in "${new[@]}"; do
    [[ " ${have[*]} " == *" ${pkg} "* ]] || missing+=("${pkg}")
  done
  if ((${#missing[@]} > 0)); then
    # One transaction: rpm installs the new packages before it erases the old,
    # so an interruption leaves at least one release package installed. The
    # distro-sync joins it, so the system spends the least time half-migrated;
    # so does the EL8 module switch (dnf writes it just before rpm runs).
    mapfile -t remaps < <(pending_module_remaps)
    carried=("${remaps[@]}")
    if swap_with_dnf "${old[*]}" "${missing[*]}" distro-sync "${remaps[*]}"; then
      SYNCED=1
    else
      warn "the swap with distro-sync failed; swapping the release packages alone"
      if ! swap_with_dnf "${old[*]}" "${missing[*]}"; then
        warn "dnf could not swap the release packages in one transaction; installing them with rpm"
        swap_with_rpm "${missing[@]}"
      fi
    fi
  fi
  mapfile -t old < <(installed_names "${old[@]}")
  if ((${#old[@]} > 0)); then
    run rpm -e --nodeps -- "${old[@]}" || die "cannot remove ${old[*]}"
  fi
  rpm -q almalinux-release >/dev/null 2>&1 || die "almalinux-release is not installed after the swap"
  # A swap without the distro-sync (or with rpm) switched no stream; nor did
  # a run that stopped after an earlier swap.
  apply_module_remaps "${carried[@]}"
  if ((SYNCED == 1)); then verify_migrated all; else verify_migrated release; fi
  disable_source_repos
  log "release packages swapped: $(rpm -q "${new[@]}" | paste -sd' ' -)"
}

# One dnf transaction: switch the module streams of the remaps in $4
# ("name:from:to" entries, space-separated; if any), remove $1, install $2,
# then the command in $3 (if any). What it needs is downloaded and verified
# first; the transaction itself runs from the verified cache only.
swap_with_dnf() {
  local remove="$1"
  local install="$2"
  local also="${3:-}"
  local -a names remaps
  local entry name from to
  read -r -a names <<<"${install}"
  read -r -a remaps <<<"${4:-}"
  download_verified install --allowerasing "${names[@]}" || return 1
  # The new stream's packages: the distro-sync below resolves under the old.
  for entry in "${remaps[@]}"; do
    IFS=: read -r name from to <<<"${entry}"
    download_verified module switch-to "${name}:${to}" || return 1
  done
  if [[ -n "${also}" ]]; then
    download_verified "${also}" || return 1
  fi
  {
    module_switch_commands "${remaps[@]}"
    [[ -n "${remove}" ]] && printf 'remove %s\n' "${remove}"
    printf 'install %s\n' "${install}"
    [[ -n "${also}" ]] && printf '%s\n' "${also}"
    printf 'run\n'
  } >"${WORK_DIR}/swap.dnf"
  dnf_run post shell "${WORK_DIR}/swap.dnf" || return 1
  rpm -q "${names[@]}" >/dev/null 2>&1
}

# Fallback: the new packages from the verified cache, then the old ones erased.
swap_with_rpm() {
  local -a files=()
  local file name
  verify_new_packages
  while IFS= read -r file; do
    name="$(rpm -qp --qf '%{NAME}' -- "${file}" 2>/dev/null)" || continue
    if [[ " $* " == *" ${name} "* ]]; then
      files+=("${file}")
    fi
  done < <(find "${CACHE_DIR}" -name 'almalinux-*.rpm' -type f)
  ((${#files[@]} > 0)) || die "the verified AlmaLinux release packages are missing from ${CACHE_DIR}"
  run rpm -U --replacefiles --replacepkgs -- "${files[@]}" ||
    die "cannot install the AlmaLinux release packages"
}

disable_source_repos() {
  local file=/etc/yum.repos.d/redhat.repo
  # Written by subscription-manager, owned by no package: rpm -e leaves it.
  if [[ -f "${file}" ]]; then
    mv -f -- "${file}" "${file}.almalinux-migrate-disabled"
    log "disabled ${file} (renamed to ${file##*/}.almalinux-migrate-disabled)"
  fi
  for file in /etc/dnf/plugins/subscription-manager.conf /etc/dnf/plugins/product-id.conf \
    /etc/yum/pluginconf.d/subscription-manager.conf; do
    [[ -f "${file}" ]] || continue
    sed -i 's/^enabled[[:space:]]*=.*/enabled=0/' -- "${file}"
    log "disabled the dnf plugin configured in ${file}"
  done
  # rhsmcertd would write redhat.repo again on its next certificate check.
  file=/etc/rhsm/rhsm.conf
  if [[ -f "${file}" ]] && grep -q '^[[:space:]]*manage_repos[[:space:]]*=[[:space:]]*1' -- "${file}"; then
    sed -i 's/^[[:space:]]*manage_repos[[:space:]]*=.*/manage_repos = 0/' -- "${file}"
    log "subscription-manager no longer manages repositories (${file}: manage_repos = 0); run 'subscription-manager unregister' to free the RHEL subscription"
  fi
  disable_epel_next
}

step_configure_repos() {
  local file extra_key=""
  if [[ "${MIRROR}" == "${OFFICIAL_MIRROR}" ]]; then
    log "official mirror: repository files left as shipped"
    return 0
  fi
  if [[ -n "${CUSTOM_FPR}" ]]; then
    extra_key="/etc/pki/rpm-gpg/RPM-GPG-KEY-AlmaLinux-${MAJOR}-mirror"
    mkdir -p -- /etc/pki/rpm-gpg
    cp -f -- "$(key_file)" "${extra_key}"
  fi
  shopt -s nullglob
  for file in /etc/yum.repos.d/almalinux*.repo; do
    sed -i -E \
      -e "s|^#?[[:space:]]*baseurl[[:space:]]*=[[:space:]]*${OFFICIAL_MIRROR}|baseurl=$(sed_escape "${MIRROR}")|" \
      -e 's|^[[:space:]]*(mirrorlist[[:space:]]*=)|#\1|' \
      -- "${file}"
    if [[ -n "${extra_key}" ]]; then
      sed -i -E "/^gpgkey[[:space:]]*=/{/${extra_key//\//\\/}/!s|\$| file://${extra_key}|}" -- "${file}"
    fi
    log "pointed ${file} at ${MIRROR}"
  done
  shopt -u nullglob
}

# The EL8 module remaps (decided before the point of no return from the
# mirror's module metadata, STATE[MODULE_REMAPS]) are part of the swap
# transaction, as rpm's test transaction tested them: until the swap this
# step changes nothing. After it (a resume) the streams are made sure of.
step_remap_modules() {
  if ((MAJOR != 8)); then
    log "module streams: nothing to remap on EL${MAJOR}"
    return 0
  fi
  if ! swap_happened; then
    log "module streams: switched in the swap transaction${STATE[MODULE_REMAPS]:+ (${STATE[MODULE_REMAPS]})}"
    return 0
  fi
  apply_module_remaps
}

# Enables each module of STATE[MODULE_REMAPS] on its AlmaLinux stream where
# it is not yet (module state only: the distro-sync switches the packages,
# downloaded and verified before the point of no return); once on it, never
# again. $@: the remaps the swap transaction carried, logged as its own.
apply_module_remaps() {
  local name from to entry
  local -a remaps
  ((MAJOR == 8)) || return 0
  read -r -a remaps <<<"${STATE[MODULE_REMAPS]:-}"
  for entry in "${remaps[@]}"; do
    IFS=: read -r name from to <<<"${entry}"
    if module_enabled_on "${name}" "${to}"; then
      if [[ " $* " == *" ${entry} "* ]]; then
        log "module ${name}: stream ${from} remapped to ${to} in the swap transaction"
      else
        log "module ${name}: already on stream ${to}"
      fi
      continue
    fi
    dnf_run post module reset "${name}" || die "cannot reset module ${name}"
    dnf_run post module enable "${name}:${to}" || die "cannot enable module ${name}:${to}"
    log "module ${name}: stream ${from} remapped to ${to}"
  done
}

# A run killed inside an rpm transaction can leave two copies of a package.
# Different versions: the one not built by AlmaLinux is erased. The same
# version (an interrupted reinstall): both database entries go and the
# package is installed again from the AlmaLinux repositories, downloaded and
# verified before the entries go.
remove_duplicates() {
  local nevra vendor key
  local -a reinstall=()
  declare -A seen=()
  while read -r key nevra vendor; do
    [[ -n "${key}" ]] || continue
    if [[ "${key}" == "same" ]]; then
      [[ -n "${seen[${nevra}]:-}" ]] && continue
      seen["${nevra}"]=1
      reinstall+=("${nevra}")
    elif [[ "${vendor}" != "AlmaLinux" ]]; then
      warn "interrupted transaction left ${nevra} next to AlmaLinux's build: removing it"
      run rpm -e --nodeps --noscripts -- "${nevra}" || die "cannot remove duplicate ${nevra}"
    fi
  done < <(rpm -qa --qf '%{NAME} %{NAME}.%{ARCH} %{NEVRA} %{VENDOR}\n' | without_installonly |
    awk '{ n[$1]++; line[$1, n[$1]] = $2 " " $3; nevras[$1, $2]++ }
         END { for (k in n) if (n[k] > 1) for (i = 1; i <= n[k]; i++) {
                 split(line[k, i], f, " ")
                 print ((nevras[k, f[1]] > 1) ? "same" : "other"), line[k, i] } }')
  ((${#reinstall[@]} > 0)) || return 0
  download_verified reinstall "${reinstall[@]}" ||
    die "cannot download ${reinstall[*]} to reinstall it${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}"
  for nevra in "${reinstall[@]}"; do
    warn "interrupted reinstall left ${nevra} twice: installing it again"
    run rpm -e --allmatches --nodeps --noscripts --justdb -- "${nevra}" ||
      die "cannot remove the duplicate entries of ${nevra}"
  done
  dnf_run post install "${reinstall[@]}" || die "cannot reinstall ${reinstall[*]}"
}

step_distro_sync() {
  local failed=0
  if ((SYNCED == 1)); then
    log "distro-sync: done in the swap transaction"
    clear_sssd_cache
    return 0
  fi
  remove_duplicates
  download_verified distro-sync ||
    die "downloading the AlmaLinux packages (distro-sync) failed${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}" "Check the mirror, the network and the dnf messages above."
  dnf_run post distro-sync || failed=1
  # The list of what is not migrated says more than dnf's status.
  verify_migrated all
  ((failed == 0)) ||
    die "dnf distro-sync failed" "Read the dnf messages above; the packages are cached in ${CACHE_DIR}."
  clear_sssd_cache
}

# Never ends with no AlmaLinux kernel on a system that has kernels (not a
# container, not a chroot without any): one signed by an accepted key must
# be installed by now (the swap installs it on a system that had only
# another vendor's); if it is not (the swap's rpm fallback installs the
# release packages only), it is installed here from the verified cache, or
# the run stops, resumable.
step_kernel() {
  local -a kernels
  if [[ -n "${CONTAINER}" ]]; then
    log "kernel: skipped in a container (${CONTAINER}): the host runs the kernel"
    return 0
  fi
  mapfile -t kernels < <(installed_kernels)
  if ((${#kernels[@]} == 0)); then
    log "kernel: no kernel package installed (a chroot?): nothing to check"
    return 0
  fi
  if [[ -z "$(alma_kernels)" ]]; then
    warn "no AlmaLinux kernel is installed (kernels: ${kernels[*]}): installing AlmaLinux's kernel"
    download_verified install kernel ||
      die "cannot download AlmaLinux's kernel${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}" "Check the mirror and the network; the system has no AlmaLinux kernel yet, do not reboot."
    dnf_run post install kernel ||
      die "cannot install AlmaLinux's kernel" "Read the dnf messages above; the system has no AlmaLinux kernel yet, do not reboot."
  fi
  [[ -n "$(alma_kernels)" ]] ||
    die "no AlmaLinux kernel is installed (kernels: ${kernels[*]})" \
      "Install it (dnf install kernel) before rebooting; the re-run checks it again."
  log "AlmaLinux kernel(s) installed: $(alma_kernels | paste -sd' ' -)"
}

step_bootloader() {
  local cfg
  if [[ -n "${CONTAINER}" ]]; then
    log "bootloader and EFI: skipped in a container (${CONTAINER})"
    return 0
  fi
  if ! command -v grub2-mkconfig >/dev/null; then
    if [[ "${ARCH}" == "s390x" ]] && command -v zipl >/dev/null; then
      run zipl || die "zipl failed"
      return 0
    fi
    log "no bootloader found (grub2-mkconfig missing; a container?): skipped"
    return 0
  fi
  if [[ -d /sys/firmware/efi ]]; then
    carry_over_efi_files
  fi
  set_default_kernel
  if [[ -d /boot/grub2 ]]; then
    run grub2-mkconfig -o /boot/grub2/grub.cfg || die "grub2-mkconfig failed"
  fi
  if [[ -d /sys/firmware/efi ]]; then
    # EL8 reads the full configuration from the EFI system partition; from
    # EL9 on the file there is a stub that loads /boot/grub2/grub.cfg.
    if ((MAJOR == 8)) && [[ -d "${EFI_DIR}/almalinux" ]]; then
      cfg="${EFI_DIR}/almalinux/grub.cfg"
      run grub2-mkconfig -o "${cfg}" || die "grub2-mkconfig failed for ${cfg}"
    fi
    add_efi_entry
  fi
}

# Boots AlmaLinux's newest kernel by default. The source's default may stay
# otherwise: Oracle Linux's UEK (DEFAULTKERNEL=kernel-uek-core), or a newer
# CentOS Stream kernel; with Secure Boot, AlmaLinux's shim would refuse them.
# The new default must be bootable: its vmlinuz and initramfs in /boot
# (a missing initramfs is made with dracut where it can be), and grubby
# must then name it as the default; otherwise the run stops (resumable)
# before anyone reboots into a broken entry.
set_default_kernel() {
  local version current candidate chosen=""
  local -a versions
  local conf=/etc/sysconfig/kernel
  if [[ -f "${conf}" ]] && grep -q '^DEFAULTKERNEL=kernel-uek' -- "${conf}"; then
    run sed -i 's/^DEFAULTKERNEL=kernel-uek.*/DEFAULTKERNEL=kernel-core/' -- "${conf}" ||
      die "cannot set DEFAULTKERNEL in ${conf}"
  fi
  command -v grubby >/dev/null || return 0
  # An AlmaLinux kernel already the default (kernel-64k, kernel-rt, ...)
  # stays, if it can boot.
  current="$(grubby --default-kernel 2>/dev/null || true)"
  if [[ "${current}" == /boot/vmlinuz-* && -f "${current}" ]] &&
    [[ -s "/boot/initramfs-${current#/boot/vmlinuz-}.img" ]] &&
    [[ "$(rpm -qf --qf '%{VENDOR}\n' -- "/lib/modules/${current#/boot/vmlinuz-}/vmlinuz" 2>/dev/null)" == "AlmaLinux" ]]; then
    log "default kernel: ${current} (vmlinuz and initramfs present)"
    return 0
  fi
  mapfile -t versions < <(rpm -q --qf '%{VENDOR}|%{VERSION}-%{RELEASE}.%{ARCH}\n' kernel-core kernel 2>/dev/null |
    awk -F'|' '$1 == "AlmaLinux" { print $2 }' | sort -u -V -r || true)
  ((${#versions[@]} > 0)) ||
    die "no AlmaLinux kernel package (kernel-core) is installed: no boot entry to make the default" \
      "Install it (dnf install kernel), then re-run to finish; do not reboot before."
  for candidate in "${versions[@]}"; do
    if [[ -f "/boot/vmlinuz-${candidate}" && ! -s "/boot/initramfs-${candidate}.img" ]] &&
      command -v dracut >/dev/null; then
      warn "/boot/initramfs-${candidate}.img is missing: making it with dracut"
      run dracut -f "/boot/initramfs-${candidate}.img" "${candidate}" ||
        warn "dracut could not make /boot/initramfs-${candidate}.img"
    fi
    if [[ -f "/boot/vmlinuz-${candidate}" && -s "/boot/initramfs-${candidate}.img" ]]; then
      chosen="${candidate}"
      break
    fi
    warn "AlmaLinux kernel ${candidate} is not bootable: /boot/vmlinuz-${candidate} or /boot/initramfs-${candidate}.img is missing"
  done
  [[ -n "${chosen}" ]] ||
    die "no AlmaLinux kernel has both its vmlinuz and its initramfs in /boot (${versions[*]}): the default boot entry cannot point at AlmaLinux" \
      "Reinstall the kernel (dnf reinstall kernel-core) or run: kernel-install add <version> /lib/modules/<version>/vmlinuz; then re-run to finish. Do not reboot before."
  run grubby --set-default "/boot/vmlinuz-${chosen}" ||
    die "grubby could not make /boot/vmlinuz-${chosen} the default boot entry" \
      "Set it (grubby --set-default /boot/vmlinuz-${chosen}), then re-run to finish; do not reboot before."
  current="$(grubby --default-kernel 2>/dev/null || true)"
  [[ "${current}" == "/boot/vmlinuz-${chosen}" ]] ||
    die "the default boot entry is ${current:-none} after making /boot/vmlinuz-${chosen} the default" \
      "Set it (grubby --set-default /boot/vmlinuz-${chosen}), then re-run to finish; do not reboot before."
  log "default kernel: /boot/vmlinuz-${chosen} (vmlinuz and initramfs present)"
}

# AlmaLinux's grub, started from EFI/almalinux, reads its environment (EL8:
# kernelopts, saved_entry) and, from EL9 on, its stub grub.cfg from that
# directory; the source's copies stay in its vendor directory. Carries them
# over when AlmaLinux's packages did not create them.
carry_over_efi_files() {
  local name old dir="${EFI_DIR}/almalinux"
  [[ -d "${dir}" ]] || return 0
  for name in grubenv grub.cfg; do
    ((MAJOR == 8)) && [[ "${name}" == "grub.cfg" ]] && continue
    [[ -e "${dir}/${name}" ]] && continue
    # .rpmsave: the source's grub package, erased, kept its edited copy.
    for old in "${EFI_DIR}"/{centos,rocky,redhat}/"${name}"{,.rpmsave}; do
      [[ -f "${old}" ]] || continue
      if [[ "${name}" == "grub.cfg" ]] && ! grep -q '^[[:space:]]*configfile' -- "${old}"; then
        continue
      fi
      run cp -p -- "${old}" "${dir}/${name}" || die "cannot copy ${old} to ${dir}"
      break
    done
  done
  if [[ -L /boot/grub2/grubenv ]] && [[ "$(readlink -- /boot/grub2/grubenv)" == */EFI/* ]]; then
    if [[ ! -e "${dir}/grubenv" ]] && command -v grub2-editenv >/dev/null; then
      run grub2-editenv "${dir}/grubenv" create || die "cannot create ${dir}/grubenv"
    fi
    # grub2-editenv writes through this link: point it at AlmaLinux's copy.
    if [[ -e "${dir}/grubenv" ]]; then
      run ln -sfn -- "../efi/EFI/almalinux/grubenv" /boot/grub2/grubenv ||
        die "cannot repoint /boot/grub2/grubenv"
    fi
  fi
}

# Adds an EFI boot entry for AlmaLinux's shim. The source's shim and grub
# left its vendor directory with its packages, so its entry is dead: where
# the entry cannot be added (RAID or multipath system partition), the step
# fails saying how to add it by hand; a re-run then finds it and finishes.
add_efi_entry() {
  local shim loader source disk part hint
  case "${ARCH}" in
    x86_64) shim="shimx64.efi" ;;
    aarch64) shim="shimaa64.efi" ;;
    *) return 0 ;;
  esac
  loader="\\EFI\\almalinux\\${shim}"
  if ! command -v efibootmgr >/dev/null; then
    warn "efibootmgr missing: add an EFI boot entry for ${loader} by hand"
    return 0
  fi
  if [[ "$(LC_ALL=C efibootmgr 2>/dev/null || true)" == *AlmaLinux* ]]; then
    log "EFI boot entry for AlmaLinux already present"
    return 0
  fi
  if [[ ! -f "${EFI_DIR}/almalinux/${shim}" ]]; then
    warn "${EFI_DIR}/almalinux/${shim} not found: no EFI boot entry added"
    return 0
  fi
  source="$(findmnt -no SOURCE -- /boot/efi 2>/dev/null || true)"
  disk="$(lsblk -no PKNAME -- "${source}" 2>/dev/null | head -n1 || true)"
  part="$(cat -- "/sys/class/block/${source##*/}/partition" 2>/dev/null || true)"
  hint="Add the entry by hand before rebooting (efibootmgr -c -d /dev/<disk> -p <partition> -L AlmaLinux -l '${loader}'), then re-run to finish."
  if [[ -z "${source}" || -z "${disk}" || -z "${part}" ]]; then
    die "cannot tell which disk and partition hold /boot/efi (${source:-not mounted}) to add the AlmaLinux EFI boot entry" "${hint}"
  fi
  run efibootmgr -c -d "/dev/${disk}" -p "${part}" -L AlmaLinux -l "${loader}" ||
    die "efibootmgr could not add the AlmaLinux boot entry (/dev/${disk} partition ${part})" "${hint}"
}

step_finish() {
  local end others kernels
  end="$(now_ns)"
  rm -rf -- "${CACHE_DIR}" "${REPOS_DIR}" "${KEYRING_DIR}" "${WORK_DIR}/swap.dnf" \
    "${WORK_DIR}/dnf-log" "${WORK_DIR}/dnf-persist" "${RPM_HOME_DIR}"
  others="$(rpm -qa --qf '%{NAME} %{VENDOR}\n' | awk '$1 != "gpg-pubkey" && $2 != "AlmaLinux" { print $1 }' |
    sort | paste -sd' ' -)" || true
  update_version_locks
  if [[ -n "${STATE[KEEP_LOCKED]:-}" ]]; then
    log "version-locked packages kept at their builds (not migrated): ${STATE[KEEP_LOCKED]}"
  fi
  log "migration to AlmaLinux ${MAJOR} complete: $(cat /etc/system-release 2>/dev/null || true)"
  if [[ -n "${STATE[THIRD_PARTY]:-}" ]]; then
    log "third-party repositories kept enabled: ${STATE[THIRD_PARTY]}"
  fi
  if [[ -n "${STATE[REMOVALS]:-}" ]]; then
    log "removed by the release swap, as accepted with --allow-remove: ${STATE[REMOVALS]}"
  fi
  if [[ -n "${others}" ]]; then
    log "packages not built by AlmaLinux (third-party or not in the AlmaLinux repositories): ${others}"
  fi
  kernels="$(rpm -qa --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH} %{VENDOR}\n' 'kernel*' |
    awk '$2 != "AlmaLinux" { print $1 }' | sort | paste -sd' ' -)" || true
  if [[ -n "${kernels}" ]]; then
    log "kernels of the previous system stay installed next to AlmaLinux's (install-only): ${kernels}; remove them after rebooting into the AlmaLinux kernel"
  fi
  log "backup of the previous configuration: ${STATE[BACKUP_DIR]:-}"
  log "unsafe window: $(awk -v s="${UNSAFE_START_NS}" -v e="${end}" 'BEGIN { printf "%.3f", (e - s) / 1e9 }') s (from the first change to the system to the end${RESUME_FROM:+, this run resumed at ${RESUME_FROM}})"
  log "reboot to start the AlmaLinux kernel"
}

#######################################
# Driving the steps.
#######################################
run_step() {
  local step="$1"
  log "==> ${step}"
  check_output "==> ${step}"
  "step_${step//-/_}"
  state_save STEP "${step}"
}

install_traps() {
  trap 'on_err "$?" "${LINENO}" "${BASH_COMMAND}"' ERR
  trap 'on_signal INT' INT
  trap 'on_signal TERM' TERM
  trap 'on_signal HUP' HUP
}

# After the point of no return a dropped SSH session must not cut a dnf
# transaction short: the script, dnf and rpm (they inherit it) ignore SIGHUP
# and finish; the log keeps the transcript.
ignore_hangup() {
  trap '' HUP
}

# --check: dnf resolves the whole swap transaction (swap_script, with the
# EL8 module switch of module_remaps) from the mirror's metadata, in a
# directory inside CHECK_TMP that cleanup removes (repositories, dnf.conf,
# metadata cache, logs, history: nothing outside it; --assumeno stops dnf
# before it would write the module state). What it would install, remove and downgrade goes to the report; a
# removal beyond the swap's own replaces the preflight's guess
# (check_dependents); a transaction that does not resolve is a blocker.
# Skipped when the mirror or its key failed (their findings say so) or
# without root (dnf would refuse). Changes the TXN_* lists, DOWNGRADES,
# LEFT_UNMIGRATED, DEPENDENTS, BLOCKERS, WARNINGS.
check_transaction() {
  local dir out id name from to
  local -a removals remaps=()
  [[ -n "${CHECK_TMP}" && -s "${CHECK_TMP}/key" ]] && ((EUID == 0)) || return 0
  for id in key-untrusted mirror-unreachable mirror-no-baseos mirror-no-appstream; do
    [[ " ${FINDING_IDS[*]} " != *" ${id} "* ]] || return 0
  done
  command -v dnf >/dev/null || return 0
  dir="$(check_dnf_dir)"
  mkdir -m 0700 -- "${dir}" "${dir}/repos.d"
  gpg_tmp "${CHECK_TMP}/gnupg" --export-options export-minimal,export-clean --armor \
    --export >"${dir}/key.asc" 2>/dev/null || return 0
  write_dnf_conf "${dir}/dnf.conf"
  install -m 0600 /dev/null "${dir}/repos.d/almalinux-migrate.repo"
  if ! write_repos "${dir}/repos.d/almalinux-migrate.repo" "${dir}/key.asc" baseurl >/dev/null; then
    rm -rf -- "${dir}"
    check_mirror_failure
    return 0
  fi
  # A module without an AlmaLinux stream ("-") is a blocker of its own.
  while read -r name from to; do
    [[ -n "${name}" && "${to}" != "-" ]] && remaps+=("${name}:${from}:${to}")
  done < <(module_remaps)
  swap_script "${remaps[@]}" >"${dir}/swap.dnf"
  out="$(LC_ALL=C dnf_run check sh "${dir}/swap.dnf" 2>&1 </dev/null)" || true
  rm -rf -- "${dir}"
  read_transaction "${out}"
  if transaction_findings "${out}"; then
    return 0
  fi
  mapfile -t removals < <(extra_removals)
  DEPENDENTS=("${removals[@]}")
  drop_findings dependent-packages removal-accepted mirror-provides-unreadable
  report_removals "${DEPENDENTS[@]}"
}

# The one way into the phase after the point of no return, for a first run
# ("first": records PONR=1 in the state, durably, before the first change)
# and a resume ("resume": the state already says so): from here a failure is
# resumed, not restored, the run's traps are set and a dropped SSH session
# no longer stops it. Changes PHASE, UNSAFE_START_NS and STATE.
enter_post_ponr() {
  local how="$1"
  install_traps
  UNSAFE_START_NS="$(now_ns)"
  case "${how}" in
    first) state_save PONR 1 UNSAFE_START "${UNSAFE_START_NS}" ;;
    resume) [[ "${STATE[PONR]:-}" == "1" ]] || die "internal error: resuming without PONR=1 in the state" ;;
    *) die "internal error: enter_post_ponr needs first or resume, got '${how}'" ;;
  esac
  PHASE="post"
  ignore_hangup
}

run_check() {
  preflight
  check_transaction
  print_report
  if ((${#BLOCKERS[@]} > 0)); then
    exit "${EXIT_BLOCKED}"
  fi
  exit "${EXIT_OK}"
}

# Restores the run's settings from the state file of an interrupted
# migration. A --mirror other than the interrupted run's is checked like a
# new one (key, repositories, signatures of what the remaining steps need)
# before anything uses it. Changes MAJOR, ARCH, OS_ID, OS_NAME, BACKUP_DIR,
# CUSTOM_FPR, CONTAINER, KEEP_LOCKED, MIRROR and STATE[MIRROR].
load_resume() {
  MAJOR="${STATE[MAJOR]}"
  ARCH="${STATE[ARCH]}"
  OS_ID="${STATE[SOURCE_ID]}"
  OS_NAME="${STATE[SOURCE_NAME]}"
  BACKUP_DIR="${STATE[BACKUP_DIR]:-}"
  CUSTOM_FPR="${STATE[FINGERPRINT]:-}"
  detect_container
  read -r -a KEEP_LOCKED <<<"${STATE[KEEP_LOCKED]:-}"
  undo_mirror_switch
  if [[ ! -f "${DNF_CONF}" ]]; then
    mkdir -p -- "${REPOS_DIR}"
    write_dnf_conf
  fi
  if ((MIRROR_GIVEN == 1)) && [[ "${MIRROR}" != "${STATE[MIRROR]}" ]]; then
    switch_mirror
  fi
  MIRROR="${STATE[MIRROR]}"
}

# A mirror switch that did not pass its checks leaves the key and the
# repositories of the previous mirror in MIRROR_SWITCH_DIR: put them back,
# and forget what was cached from the refused mirror (checked afresh if it
# is tried again).
undo_mirror_switch() {
  local dir
  [[ -d "${MIRROR_SWITCH_DIR}" ]] || return 0
  warn "an earlier run did not finish checking another mirror: going back to ${STATE[MIRROR]}'s key and repositories"
  cp -pf -- "${MIRROR_SWITCH_DIR}/key" "$(key_file)"
  rm -rf -- "${REPOS_DIR}"
  cp -a -- "${MIRROR_SWITCH_DIR}/repos.d" "${REPOS_DIR}"
  while IFS= read -r dir; do
    grep -qxF -- "${dir}" "${MIRROR_SWITCH_DIR}/cache-dirs" || rm -rf -- "${CACHE_DIR:?}/${dir}"
  done < <(find "${CACHE_DIR}" -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
  rm -rf -- "${MIRROR_SWITCH_DIR}"
  sync
}

# Adopts the --mirror of this run (MIRROR) after the checks a new run makes
# before the point of no return: its key against the trusted fingerprint,
# its repositories, and the signature of every package the remaining steps
# need from it. Until they pass, the previous mirror's files are kept aside.
switch_mirror() {
  local -a targets missing=()
  local pkg
  warn "--mirror differs from the interrupted run's (${STATE[MIRROR]}): checking ${MIRROR} before using it"
  rm -rf -- "${MIRROR_SWITCH_DIR}.tmp"
  mkdir -p -- "${MIRROR_SWITCH_DIR}.tmp"
  cp -p -- "$(key_file)" "${MIRROR_SWITCH_DIR}.tmp/key"
  cp -a -- "${REPOS_DIR}" "${MIRROR_SWITCH_DIR}.tmp/repos.d"
  find "${CACHE_DIR}" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' >"${MIRROR_SWITCH_DIR}.tmp/cache-dirs"
  sync
  mv -f -- "${MIRROR_SWITCH_DIR}.tmp" "${MIRROR_SWITCH_DIR}"
  step_fetch_key
  step_verify_key
  step_prepare_repos
  read -r -a targets <<<"${STATE[TARGET_PKGS]}"
  for pkg in "${targets[@]}"; do
    rpm -q "${pkg}" >/dev/null 2>&1 || missing+=("${pkg}")
  done
  if ((${#missing[@]} > 0)); then
    download_verified install --allowerasing "${missing[@]}" ||
      die "downloading the AlmaLinux release packages from ${MIRROR} failed${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}" "Check the mirror and the network."
  fi
  download_verified distro-sync ||
    die "downloading the AlmaLinux packages from ${MIRROR} failed${DOWNLOAD_ERROR:+: ${DOWNLOAD_ERROR}}" "Check the mirror, the network and the dnf messages above."
  state_save MIRROR "${MIRROR}"
  rm -rf -- "${MIRROR_SWITCH_DIR}"
  log "mirror ${MIRROR}: key and packages verified; the migration goes on with it"
}

resume() {
  local step after started=0
  RESUME_FROM="${STATE[STEP]}"
  ((CHECK_ONLY == 1)) &&
    bail "${EXIT_BLOCKED}" "an interrupted migration (after the point of no return, step ${RESUME_FROM}) must be finished: run ${SCRIPT_NAME} -y"
  ((EUID == 0)) || bail "${EXIT_BLOCKED}" "run as root to resume the interrupted migration."
  start_logging "$@"
  open_work_dir
  # A failure from here on (also checking another --mirror) is resumed.
  enter_post_ponr resume
  load_resume
  log "resuming the interrupted migration of ${OS_NAME} to AlmaLinux ${MAJOR} after step ${RESUME_FROM}"
  after="${RESUME_FROM}"
  if [[ " ${POST_STEPS[*]#remap-modules} " == *" ${after} "* ]] && ! swap_happened; then
    warn "the state file says step ${after} was done, but almalinux-release is not installed (or not AlmaLinux's): running the release swap again"
    after="remap-modules"
  fi
  # STEP names the last completed step; "backup" means stopped in the swap.
  for step in "${POST_STEPS[@]}"; do
    if ((started == 0)); then
      if [[ "${after}" == "backup" ]]; then
        started=1
      elif [[ "${after}" == "${step}" ]]; then
        started=1
        continue
      else
        continue
      fi
    fi
    run_step "${step}"
  done
  state_save STEP "done"
  exit "${EXIT_OK}"
}

migrate() {
  local step third
  ((EUID == 0)) || bail "${EXIT_BLOCKED}" "must be run as root (try: sudo ${SCRIPT_NAME}). Nothing changed."
  preflight
  if ((${#BLOCKERS[@]} > 0)); then
    print_report >&2
    bail "${EXIT_BLOCKED}" "preflight found ${#BLOCKERS[@]} blocker(s); nothing changed. Fix them (see above) and re-run; --check repeats the report."
  fi
  start_logging "$@"
  print_report
  open_work_dir
  install_traps
  PHASE="pre"
  if [[ -n "${STATE[STEP]:-}" && "${STATE[STEP]}" != "done" ]]; then
    log "an earlier run stopped at step ${STATE[STEP]} before changing anything: starting over"
  fi
  STATE=()
  third="$(printf '%s, ' "${THIRD_PARTY_REPOS[@]}")"
  state_save STEP preflight PONR 0 SOURCE_ID "${OS_ID}" SOURCE_NAME "${OS_NAME} ${OS_VERSION}" \
    SOURCE_VERSION_ID "${OS_VERSION}" MAJOR "${MAJOR}" ARCH "${ARCH}" \
    MACHINE_ID "$(machine_id)" SCRIPT_VERSION "${VERSION}" BACKUP_DIR "" UNSAFE_START "" \
    REMOVALS "" KEEP_LOCKED "${KEEP_LOCKED[*]}" MODULE_REMAPS "" \
    MIRROR "${MIRROR}" FINGERPRINT "${CUSTOM_FPR}" \
    SOURCE_PKGS "${SOURCE_PKGS[*]}" TARGET_PKGS "${TARGET_PKGS[*]}" \
    THIRD_PARTY "${third%, }" \
    SOURCE_REPO_FILES "$(printf '%s ' "${SOURCE_REPO_FILES[@]}")"
  for step in "${PRE_STEPS[@]}"; do
    [[ "${step}" == "backup" ]] && confirm
    run_step "${step}"
  done
  # Nobody reading the output any more: stop while nothing is changed.
  log "checks passed, nothing changed yet: next, the point of no return"
  check_output "nothing changed yet: next, the point of no return"
  # The point of no return: from here a failure is resumed, not restored.
  enter_post_ponr first
  log "point of no return: first change to the system now"
  for step in "${POST_STEPS[@]}"; do
    run_step "${step}"
  done
  state_save STEP "done"
  exit "${EXIT_OK}"
}

main() {
  parse_args "$@"
  trap cleanup EXIT
  if ((CHECK_ONLY == 1 && LOG_GIVEN == 1)); then
    start_logging "$@"
  elif ((CHECK_ONLY == 1)); then
    guard_output
  fi
  # Only root can read the state file; the lock comes before reading it.
  if ((EUID == 0)); then
    lock_work_dir
  fi
  state_load
  if [[ "${STATE[PONR]:-0}" == "1" && "${STATE[STEP]:-}" != "done" ]]; then
    resume "$@"
  fi
  detect_system
  if is_migrated; then
    printf '%s: this system already runs AlmaLinux %s (almalinux-release installed); nothing to do.\n' \
      "${SCRIPT_NAME}" "${OS_VERSION}"
    REPORT_STATUS="nothing-to-do"
    exit "${EXIT_OK}"
  fi
  if [[ "${OS_ID}" == "almalinux" ]]; then
    bail "${EXIT_UNSUPPORTED}" "os-release says AlmaLinux but almalinux-release is not installed; repair it with: dnf install almalinux-release. Nothing changed."
  fi
  if ((CHECK_ONLY == 1)); then
    run_check
  fi
  migrate "$@"
}

# ALMALINUX_MIGRATE_LIBRARY=1 and "source" load the functions without running
# anything (the fast tests do). Run that way, not sourced, nothing would
# happen: that is refused rather than reported as a success.
if [[ "${ALMALINUX_MIGRATE_LIBRARY:-0}" == "1" ]]; then
  return 0 2>/dev/null ||
    bail "${EXIT_USAGE}" "ALMALINUX_MIGRATE_LIBRARY=1 is for loading the script with 'source' in tests; unset it to run the migration. Nothing changed."
fi
main "$@"
