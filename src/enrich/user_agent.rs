//! The client family of a CloudTrail `userAgent`: `aws-cli`, `boto3`, `aws-sdk-go`, `terraform`,
//! `browser`, `curl`... without versions, so that "a principal used a kind of client it never
//! used" is a first-seen combination (`aws-principal-new-user-agent-family`).
//!
//! Written by hand: user-agent parsers on crates.io (uaparser, woothee) classify browsers and
//! bots from regex databases; none knows AWS SDK and tool strings, and a browser is one family
//! here.

/// The family of `agent`, or `None` for calls AWS makes itself (a service's host name,
/// `AWS Internal`, internal SDK strings) and for an empty string: those say nothing of the
/// principal's own tooling.
pub fn family(agent: &str) -> Option<String> {
    let agent = agent.trim().trim_start_matches('[').trim();
    if agent.is_empty() {
        return None;
    }
    let lower = agent.to_ascii_lowercase();
    // AWS's own callers: a service acting for the principal, or the console's back end.
    if lower == "aws internal"
        || lower.starts_with("aws internal")
        || lower.contains("aws-internal/")
        || lower.starts_with("coral/")
    {
        return None;
    }
    // Tools that name themselves anywhere in a string that starts with the SDK they embed.
    const TOOLS: [(&str, &str); 6] = [
        ("terraform", "terraform"),
        ("pulumi", "pulumi"),
        ("aws-cdk", "aws-cdk"),
        ("s3console", "aws-console"),
        ("console.amazonaws.com", "aws-console"),
        ("console.aws.amazon.com", "aws-console"),
    ];
    if let Some((_, name)) = TOOLS.iter().find(|(marker, _)| lower.contains(marker)) {
        return Some((*name).to_string());
    }
    let product: String = lower
        .split(['/', ' ', ',', ';', '('])
        .next()
        .unwrap_or("")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect();
    if product.is_empty() {
        return Some("other".to_string());
    }
    if product.ends_with(".amazonaws.com") || product == "amazonaws.com" {
        // `signin.amazonaws.com` is a person at the console's sign-in page.
        return (product == "signin.amazonaws.com").then(|| "aws-console".to_string());
    }
    if let Some(language) = product.strip_prefix("aws-sdk-") {
        return Some(sdk_family(language));
    }
    Some(
        match product.as_str() {
            "mozilla" | "opera" => "browser",
            "awspowershell" | "awspowershell.common" => "aws-powershell",
            "boto3" => "boto3",
            "botocore" => "botocore",
            "aws-cli" => "aws-cli",
            other => other,
        }
        .to_string(),
    )
}

/// `aws-sdk-go-v2` and `aws-sdk-go` are one family, as are the .NET, Ruby and JavaScript
/// variants: a new major version is not a new client.
fn sdk_family(rest: &str) -> String {
    let language: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
    let language = match language.as_str() {
        "nodejs" => "js",
        "" => return "aws-sdk".to_string(),
        other => other,
    };
    format!("aws-sdk-{language}")
}

#[cfg(test)]
mod tests {
    use super::family;

    #[test]
    fn names_the_family_without_versions() {
        let cases = [
            ("aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/s3.ls", Some("aws-cli")),
            ("aws-cli/1.29.0 Python/3.8.10 Linux/5.15.0 botocore/1.31.0", Some("aws-cli")),
            ("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.6", Some("boto3")),
            ("Botocore/1.31.62 Python/3.9.18 Linux/4.14.255", Some("botocore")),
            ("aws-sdk-go/1.44.122 (go1.19.3; linux; amd64)", Some("aws-sdk-go")),
            ("aws-sdk-go-v2/1.21.0 os/linux lang/go#1.21.1 md/GOOS#linux md/GOARCH#amd64 api/sts#1.23.0", Some("aws-sdk-go")),
            ("aws-sdk-java/1.12.488 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.372-b07 java/1.8.0_372", Some("aws-sdk-java")),
            ("aws-sdk-nodejs/2.1400.0 linux/v18.16.0 exec-env/AWS_Lambda_nodejs18.x", Some("aws-sdk-js")),
            ("aws-sdk-js/3.400.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#18.17.1", Some("aws-sdk-js")),
            ("aws-sdk-dotnet-coreclr/3.7.100.0 aws-sdk-dotnet-core/3.7.100.0 .NET_Core/6.0", Some("aws-sdk-dotnet")),
            ("aws-sdk-ruby3/3.181.0 ruby/3.2.2 x86_64-linux", Some("aws-sdk-ruby")),
            ("APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.17.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.21.0", Some("terraform")),
            ("pulumi-resource-aws/6.0.0 aws-sdk-go/1.44", Some("pulumi")),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36", Some("browser")),
            ("AWS Internal", None),
            ("[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10]", None),
            ("[S3Console/0.4]", Some("aws-console")),
            ("console.amazonaws.com", Some("aws-console")),
            ("signin.amazonaws.com", Some("aws-console")),
            ("lambda.amazonaws.com", None),
            ("cloudformation.amazonaws.com", None),
            ("curl/8.4.0", Some("curl")),
            ("python-requests/2.31.0", Some("python-requests")),
            ("AWSPowerShell.Common/4.1.400.0 .NET_Core/6.0.0", Some("aws-powershell")),
            ("stratus-red-team_4e7b3a1c", Some("stratus-red-team_4e7b3a1c")),
            ("Coral/Netty4", None),
            ("", None),
            ("   ", None),
            ("(unknown)", Some("other")),
        ];
        for (agent, expected) in cases {
            assert_eq!(family(agent).as_deref(), expected, "{agent}");
        }
    }

    #[test]
    fn bounded_and_plain() {
        let long = "x".repeat(10_000);
        assert_eq!(family(&long).map(|f| f.len()), Some(64));
        assert_eq!(family("Ünïcode/1.0").as_deref(), Some("other"));
    }
}
