//! Compiles the guide's content (`content/`) and the static assets (`static/`) into the binary,
//! so that one file is the whole product and `cargo run` needs nothing else on disk.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut code = String::new();
    for (name, dir, text) in [("CONTENT", "content", true), ("STATIC", "static", false)] {
        println!("cargo:rerun-if-changed={dir}");
        let base = root.join(dir);
        let mut list = Vec::new();
        files(&base, &mut list);
        list.sort();
        let ty = if text { "&str" } else { "&[u8]" };
        let mac = if text { "include_str" } else { "include_bytes" };
        writeln!(code, "pub static {name}: &[(&str, {ty})] = &[").unwrap();
        for path in list {
            if path.file_name().is_some_and(|n| n == "README.md") {
                continue;
            }
            if text && path.extension().is_none_or(|e| e != "md") {
                continue;
            }
            let rel = path
                .strip_prefix(&base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            writeln!(
                code,
                "    ({rel:?}, {mac}!({:?})),",
                path.display().to_string()
            )
            .unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    fs::write(out, code).expect("write embedded.rs");
}
