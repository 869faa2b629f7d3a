//! Protocol parameters: their declarations in the registry and the values a user sets.

use std::collections::BTreeMap;
use std::fmt;

/// The type and allowed values of a parameter.
#[derive(Clone, Debug)]
pub enum ParamKind {
    /// An integer in `min..=max`.
    Int {
        min: u64,
        max: u64,
    },
    Bool,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// Free text, validated by the protocol when it builds its model (for example a list of
    /// ids); `hint` describes the accepted forms.
    Text {
        hint: &'static str,
    },
}

/// A value of a parameter.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(u64),
    Bool(bool),
    Word(&'static str),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Word(w) => f.write_str(w),
            Value::Text(t) => f.write_str(t),
        }
    }
}

/// A parameter declaration: name, type and range, default and one line of documentation.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub default: Value,
    pub doc: &'static str,
}

impl Param {
    pub fn int(name: &'static str, min: u64, max: u64, default: u64, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Int { min, max },
            default: Value::Int(default),
            doc,
        }
    }

    pub fn bool(name: &'static str, default: bool, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Bool,
            default: Value::Bool(default),
            doc,
        }
    }

    pub fn choice(
        name: &'static str,
        words: &'static [&'static str],
        default: &'static str,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            kind: ParamKind::Choice(words),
            default: Value::Word(default),
            doc,
        }
    }

    pub fn text(name: &'static str, hint: &'static str, default: &str, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Text { hint },
            default: Value::Text(default.to_string()),
            doc,
        }
    }

    /// The type in words, for `list` and error messages.
    pub fn type_words(&self) -> String {
        match &self.kind {
            ParamKind::Int { min, max } => format!("integer {min}..={max}"),
            ParamKind::Bool => "true|false".into(),
            ParamKind::Choice(words) => words.join("|"),
            ParamKind::Text { hint } => hint.to_string(),
        }
    }

    fn parse(&self, text: &str) -> Result<Value, String> {
        match &self.kind {
            ParamKind::Int { min, max } => {
                let n: u64 = text.parse().map_err(|_| {
                    format!(
                        "parameter '{}' takes an integer in {min}..={max}, not '{text}'",
                        self.name
                    )
                })?;
                if n < *min || n > *max {
                    return Err(format!(
                        "parameter '{}' must be in {min}..={max}, got {n}",
                        self.name
                    ));
                }
                Ok(Value::Int(n))
            }
            ParamKind::Bool => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!(
                    "parameter '{}' takes true or false, not '{text}'",
                    self.name
                )),
            },
            ParamKind::Choice(words) => words
                .iter()
                .find(|w| **w == text)
                .map(|w| Value::Word(w))
                .ok_or_else(|| {
                    format!(
                        "parameter '{}' takes one of {}, not '{text}'",
                        self.name,
                        words.join(", ")
                    )
                }),
            ParamKind::Text { hint } => {
                if text.is_empty() {
                    Err(format!(
                        "parameter '{}' takes {hint}, not nothing",
                        self.name
                    ))
                } else {
                    Ok(Value::Text(text.to_string()))
                }
            }
        }
    }
}

/// Effective parameter values: every declared parameter, defaults filled in.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Params(BTreeMap<&'static str, Value>);

impl Params {
    /// Applies `NAME=VALUE` settings over the declared defaults.
    pub fn resolve(decls: &[Param], settings: &[String]) -> Result<Self, String> {
        let mut values: BTreeMap<&'static str, Value> =
            decls.iter().map(|p| (p.name, p.default.clone())).collect();
        for setting in settings {
            let Some((name, text)) = setting.split_once('=') else {
                return Err(format!("malformed --set '{setting}': expected NAME=VALUE"));
            };
            let (name, text) = (name.trim(), text.trim());
            let decl = decls.iter().find(|p| p.name == name).ok_or_else(|| {
                let known: Vec<_> = decls.iter().map(|p| p.name).collect();
                if known.is_empty() {
                    format!("unknown parameter '{name}': this protocol has no parameters")
                } else {
                    format!(
                        "unknown parameter '{name}'; known parameters: {}",
                        known.join(", ")
                    )
                }
            })?;
            values.insert(decl.name, decl.parse(text)?);
        }
        Ok(Self(values))
    }

    fn get(&self, name: &str) -> &Value {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("parameter '{name}' is not declared by this protocol"))
    }

    /// An integer parameter (declared by the protocol, so present).
    pub fn int(&self, name: &str) -> u64 {
        match self.get(name) {
            Value::Int(n) => *n,
            v => panic!("parameter '{name}' is not an integer: {v}"),
        }
    }

    /// A boolean parameter.
    pub fn bool(&self, name: &str) -> bool {
        match self.get(name) {
            Value::Bool(b) => *b,
            v => panic!("parameter '{name}' is not a boolean: {v}"),
        }
    }

    /// A choice parameter.
    pub fn word(&self, name: &str) -> &'static str {
        match self.get(name) {
            Value::Word(w) => w,
            v => panic!("parameter '{name}' is not a choice: {v}"),
        }
    }

    /// A text parameter (the protocol validates its form).
    pub fn text(&self, name: &str) -> &str {
        match self.get(name) {
            Value::Text(t) => t,
            v => panic!("parameter '{name}' is not text: {v}"),
        }
    }

    /// `NAME=VALUE` pairs, for commands printed back to the user.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decls() -> Vec<Param> {
        vec![
            Param::int("rms", 1, 9, 3, "resource managers"),
            Param::bool("lossy", false, "lossy network"),
            Param::choice("network", &["ordered", "unordered"], "ordered", "network"),
        ]
    }

    #[test]
    fn defaults_fill_unset_parameters() {
        let p = Params::resolve(&decls(), &["rms=5".into()]).unwrap();
        assert_eq!(p.int("rms"), 5);
        assert!(!p.bool("lossy"));
        assert_eq!(p.word("network"), "ordered");
    }

    #[test]
    fn bad_settings_are_explained() {
        let err = |s: &str| Params::resolve(&decls(), &[s.to_string()]).unwrap_err();
        assert!(err("rms=0").contains("must be in 1..=9"));
        assert!(err("rms=x").contains("takes an integer"));
        assert!(err("lossy=yes").contains("true or false"));
        assert!(err("network=mesh").contains("one of ordered, unordered"));
        assert!(err("nodes=3").contains("known parameters: rms, lossy, network"));
        assert!(err("rms").contains("expected NAME=VALUE"));
    }
}
