fn main() -> std::process::ExitCode {
    neardup::cli::run()
}
