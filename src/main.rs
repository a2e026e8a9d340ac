fn main() -> std::process::ExitCode {
    procurekit::cli::main()
}
