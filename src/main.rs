//! The `trailgate` binary: everything happens in `trailgate::cli::run`.

use std::io::IsTerminal;

// A scan allocates and frees many small strings and JSON nodes from several threads at once;
// mimalloc does that markedly faster than glibc's malloc (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let terminal = trailgate::cli::Terminal {
        stdout_is_tty: std::io::stdout().is_terminal(),
        stderr_is_tty: std::io::stderr().is_terminal(),
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        now: None,
    };
    let code = trailgate::cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        // Not locked: the progress bar draws on standard error from its own thread.
        &mut std::io::stderr(),
        terminal,
    );
    std::process::exit(code);
}
