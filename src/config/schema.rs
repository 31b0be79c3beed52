//! The JSON Schema of `trailgate.toml`, generated from the file model so that it cannot drift
//! from the loader. Committed as docs/config.schema.json (a test fails when that copy is stale);
//! taplo and Even Better TOML use it through a `#:schema` comment at the top of the file.

use serde_json::{json, Value};

use super::file::ConfigFile;

/// Where the committed copy lives, relative to the crate root.
pub const SCHEMA_PATH: &str = "docs/config.schema.json";

/// The schema of a configuration file (JSON Schema draft-07).
pub fn config_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut value = generator.into_root_schema_for::<ConfigFile>().to_value();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "$id".into(),
            json!("https://github.com/trailgate/trailgate/blob/main/docs/config.schema.json"),
        );
    }
    value
}

/// The schema as the committed file holds it: pretty JSON and a final newline.
pub fn config_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&config_schema()).unwrap_or_default();
    text.push('\n');
    text
}
