//! Writing a file the user asked for without ever leaving a partial one or overwriting an
//! input: the project's one implementation lives in `command_line::output_file` (the JSON
//! summaries use it too).

pub use command_line::output_file::{
    check_not_an_input, same_file, write_output_file, OutputFileError,
};
