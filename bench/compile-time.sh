#!/usr/bin/env bash
# Compile-time cost of #[wrkflw_table], beside #[derive(serde::Serialize, serde::Deserialize)]
# on the same structs. Generates a scratch workspace with two crates of 100 structs of 12
# fields each and prints a Markdown table of:
#   (a) the macro crate's clean build (wrkflw-macros vs serde_derive, with syn, quote and
#       proc-macro2, in an empty target directory),
#   (b) the incremental build of the 100 structs after their file changes (dependencies built).
# Usage: bench/compile-time.sh [ROUNDS]   (median of ROUNDS, default 3; needs crates.io or a
# cargo cache holding serde). WRKFLW_FEATURES=postgres measures with wrkflw's `postgres`
# feature (the structs then also get their PostgreSQL statements).
set -euo pipefail

rounds="${1:-3}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

structs=100
fields=12

# One struct of `fields` fields, in the types both macros accept.
write_struct() {
    local attribute="$1" n="$2" key="$3"
    echo "$attribute"
    echo "pub struct Record$n {"
    local types=(String i64 f64 bool "Option<String>" "Option<i64>")
    for ((f = 0; f < fields; f++)); do
        if ((f == 0)); then
            [[ -n "$key" ]] && echo "    $key"
            echo "    pub id_$n: String,"
        else
            echo "    pub field_$f: ${types[f % ${#types[@]}]},"
        fi
    done
    echo "}"
    echo
}

write_crate() {
    local name="$1" dependency="$2" header="$3" attribute="$4" key="$5"
    mkdir -p "$scratch/$name/src"
    cat > "$scratch/$name/Cargo.toml" <<EOF
[package]
name = "$name"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$dependency
EOF
    {
        echo "$header"
        echo
        for ((n = 0; n < structs; n++)); do
            write_struct "$attribute" "$n" "$key"
        done
    } > "$scratch/$name/src/lib.rs"
}

cat > "$scratch/Cargo.toml" <<EOF
[workspace]
resolver = "2"
members = ["with-wrkflw", "with-serde"]
EOF
features="${WRKFLW_FEATURES:-}"
write_crate with-wrkflw "wrkflw = { path = \"$repo/wrkflw\", features = [${features:+\"$features\"}] }" \
    "#![allow(dead_code)]
use wrkflw::wrkflw_table;" \
    '#[wrkflw_table]' '#[wrkflw(primary_key)]'
write_crate with-serde 'serde = { version = "1", features = ["derive"] }' \
    '#![allow(dead_code)]
use serde::{Deserialize, Serialize};' \
    '#[derive(Serialize, Deserialize)]' ''

cd "$scratch"
cargo generate-lockfile --quiet

now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# (a) Clean build of a macro crate and its dependencies, in a fresh target directory.
clean_build() {
    local package="$1" times=()
    for ((r = 0; r < rounds; r++)); do
        rm -rf "$scratch/target-clean"
        local start
        start="$(now)"
        CARGO_TARGET_DIR="$scratch/target-clean" cargo build --quiet -p "$package"
        times+=("$(seconds "$start" "$(now)")")
    done
    echo "${times[*]}" | median
}

# (b) Rebuild of the 100 structs after their source file changes.
incremental_build() {
    local package="$1" times=()
    cargo build --quiet -p "$package"
    for ((r = 0; r < rounds; r++)); do
        echo "// edit $r" >> "$scratch/$package/src/lib.rs"
        local start
        start="$(now)"
        cargo build --quiet -p "$package"
        times+=("$(seconds "$start" "$(now)")")
    done
    echo "${times[*]}" | median
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

macro_wrkflw="$(clean_build wrkflw-macros)"
macro_serde="$(clean_build serde_derive)"
structs_wrkflw="$(incremental_build with-wrkflw)"
structs_serde="$(incremental_build with-serde)"

echo "Compile time: $structs structs of $fields fields, dev profile, median of $rounds, $(nproc) cores${features:+, wrkflw features: $features}"
echo
echo "| measurement | wrkflw | serde (baseline) | ratio |"
echo "| --- | ---: | ---: | ---: |"
echo "| (a) clean build of the macro crate (wrkflw-macros vs serde_derive, with syn/quote/proc-macro2) | ${macro_wrkflw} s | ${macro_serde} s | $(ratio "$macro_wrkflw" "$macro_serde") |"
echo "| (b) incremental build of the 100 structs | ${structs_wrkflw} s | ${structs_serde} s | $(ratio "$structs_wrkflw" "$structs_serde") |"
