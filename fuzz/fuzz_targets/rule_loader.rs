//! Rule files are shared between teams: any bytes given as a rule file (native or Sigma) must
//! give rules or errors, never a panic, a hang or unbounded memory. A rule that compiles is also
//! evaluated on a fixed event, by both evaluators, which must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailgate::rule::load::{compile_files_with_notes, RuleFile};

fuzz_target!(|data: &[u8]| {
    // Rule files are read as UTF-8 (a non-UTF-8 file is an error before parsing).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = RuleFile {
        name: "fuzz.yaml".to_string(),
        text: text.to_string(),
        pack: String::new(),
    };
    let Ok((rules, _notes)) = compile_files_with_notes(&[file]) else {
        return;
    };
    let event: serde_json::Value = serde_json::from_str(
        r#"{"eventVersion":"1.08","eventSource":"ec2.amazonaws.com","eventName":"RunInstances",
            "awsRegion":"us-east-1","recipientAccountId":"123456789012","eventTime":"2024-01-01T00:00:00Z",
            "userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root","accessKeyId":"AKIAEXAMPLE"},
            "sourceIPAddress":"10.0.0.1","userAgent":"aws-cli/2",
            "requestParameters":{"instancesSet":{"items":[{"imageId":"ami-1","minCount":1}]},"a":[1,"2",null,true]},
            "responseElements":null,"errorCode":""}"#,
    )
    .expect("the fixed event is JSON");
    for rule in &rules {
        let fast = trailgate::engine::eval::matches(&rule.condition, &event);
        let traced = trailgate::engine::trace::trace(&rule.condition, &event).holds;
        assert_eq!(fast, traced, "eval and trace disagree on rule {}", rule.id);
    }
});
