#!/usr/bin/env bash
# Compile and lint infra/ with the Bicep CLI, failing on any warning or error.
#
# The Bicep CLI comes from NuGet (package Azure.Bicep.CommandLine.<rid>) restored by the .NET SDK,
# so no az CLI and no GitHub download is needed. It is cached under .tools/ (git-ignored); delete
# .tools/nuget to force a fresh restore. Run from anywhere: the script cds to the repo root.
#
# Outputs: .tools/arm/main.json (the compiled ARM template read by test/unit/infra.test.ts).
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) RID=linux-x64 ;;
  Linux-aarch64 | Linux-arm64) RID=linux-arm64 ;;
  Darwin-x86_64) RID=osx-x64 ;;
  Darwin-arm64) RID=osx-arm64 ;;
  *) echo "bicep.sh: unsupported platform $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac

TOOLS="$ROOT/.tools"
PACKAGES="$TOOLS/nuget"
PACKAGE_ID="azure.bicep.commandline.${RID}"
BICEP="$PACKAGES/$PACKAGE_ID/$BICEP_VERSION/tools/bicep"

if [[ ! -x "$BICEP" ]]; then
  command -v dotnet >/dev/null || { echo "bicep.sh: the .NET SDK (dotnet) is required to restore Bicep" >&2; exit 2; }
  # Target whatever SDK is installed (net10.0 for SDK 10.x); PackageDownload ignores the framework.
  TFM="net$(dotnet --version | cut -d. -f1,2)"
  RESTORE_DIR="$TOOLS/bicep-restore"
  mkdir -p "$RESTORE_DIR" "$PACKAGES"
  cat >"$RESTORE_DIR/restore.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>${TFM}</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Azure.Bicep.CommandLine.${RID}" Version="[${BICEP_VERSION}]" />
  </ItemGroup>
</Project>
CSPROJ
  echo "bicep.sh: restoring Azure.Bicep.CommandLine.${RID} ${BICEP_VERSION} from NuGet"
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
    dotnet restore "$RESTORE_DIR/restore.csproj" --packages "$PACKAGES" --verbosity quiet
  if [[ ! -f "$BICEP" ]]; then
    echo "bicep.sh: restore finished but $BICEP is missing; package layout:" >&2
    find "$PACKAGES/$PACKAGE_ID" -maxdepth 4 >&2 || true
    exit 1
  fi
  chmod +x "$BICEP"
fi

echo "bicep.sh: $("$BICEP" --version)"

ARM_DIR=".tools/arm"
mkdir -p "$ARM_DIR"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
LOG="$SCRATCH/bicep.log"
PARAMS_OUT="$SCRATCH/main.parameters.json"

failed=0
# Runs one bicep command, echoes everything it printed, and fails the script if it exited non-zero
# or printed a diagnostic ("<file>(<line>,<col>) : Warning <code>: …" / " : Error ").
run() {
  local status=0
  echo "\$ bicep $*"
  "$BICEP" "$@" >"$LOG" 2>&1 || status=$?
  cat "$LOG"
  if (( status != 0 )); then
    echo "bicep.sh: 'bicep $1' exited with $status" >&2
    failed=1
  elif grep -Eq ' : (Warning|Error) ' "$LOG"; then
    echo "bicep.sh: 'bicep $1' reported diagnostics (warnings count as failures)" >&2
    failed=1
  fi
}

run build infra/main.bicep --outfile "$ARM_DIR/main.json"
run build-params infra/main.bicepparam --outfile "$PARAMS_OUT"
run lint infra/main.bicep
run lint infra/main.bicepparam

if (( failed )); then
  # Bicep writes the template even when it warns; remove it so the infra test cannot pass on it.
  rm -f "$ARM_DIR/main.json"
  echo "bicep.sh: FAILED" >&2
  exit 1
fi
echo "bicep.sh: OK — no warnings, no errors (ARM template: .tools/arm/main.json)"
