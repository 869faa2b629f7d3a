//! Protocol parameters: their declarations (part of a protocol's [`crate::protocol`]
//! declaration) and the values a user sets. Integer bounds and defaults come from the models'
//! [`Bounds`] constants, and are checked by the same [`Bounds::check`] the configuration
//! constructors use, so a range has one source and one error message.

use models::common::{Bounds, CfgError};
use std::collections::BTreeMap;
use std::fmt;

/// A setting that cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// Not of the form `NAME=VALUE`.
    #[error("malformed --set '{0}': expected NAME=VALUE")]
    Malformed(String),
    /// A name the protocol does not declare.
    #[error("unknown parameter '{name}'; known parameters: {known}")]
    Unknown { name: String, known: String },
    /// A name given to a protocol without parameters.
    #[error("unknown parameter '{0}': this protocol has no parameters")]
    NoParameters(String),
    /// A value of the wrong type, with the type in words.
    #[error("parameter '{name}' takes {expected}, not '{text}'")]
    WrongType {
        name: &'static str,
        expected: String,
        text: String,
    },
    /// An empty value for a text parameter.
    #[error("parameter '{name}' takes {hint}, not nothing")]
    Empty {
        name: &'static str,
        hint: &'static str,
    },
    /// The same name set twice: which value was meant is unclear.
    #[error("parameter '{0}' is set twice; give it once")]
    Repeated(&'static str),
    /// A value the configuration refuses (out of range, or contradicting another).
    #[error(transparent)]
    Cfg(#[from] CfgError),
}

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
    /// The default over UDP (`checker cluster`, `checker node`), where a runtime setting
    /// tuned for the checker's and the simulator's links does not suit a real network
    /// ([`Params::resolve_over_udp`]).
    pub udp_default: Option<Value>,
}

impl Param {
    /// An integer parameter with the model's bounds and default.
    pub fn bounded(bounds: Bounds, doc: &'static str) -> Self {
        Self {
            name: bounds.name,
            kind: ParamKind::Int {
                min: bounds.min,
                max: bounds.max,
            },
            default: Value::Int(bounds.default),
            doc,
            udp_default: None,
        }
    }

    /// The same parameter with another default over UDP (an integer within its bounds).
    pub fn over_udp(self, default: u64) -> Self {
        let value = match &self.kind {
            ParamKind::Int { min, max } if (*min..=*max).contains(&default) => Value::Int(default),
            _ => panic!("{}: {default} is not a value of this parameter", self.name),
        };
        Self {
            udp_default: Some(value),
            ..self
        }
    }

    /// An integer parameter in `min..=max`.
    pub fn int(name: &'static str, min: u64, max: u64, default: u64, doc: &'static str) -> Self {
        Self::bounded(Bounds::new(name, min, max, default), doc)
    }

    pub fn bool(name: &'static str, default: bool, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Bool,
            default: Value::Bool(default),
            doc,
            udp_default: None,
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
            udp_default: None,
        }
    }

    pub fn text(name: &'static str, hint: &'static str, default: &str, doc: &'static str) -> Self {
        Self {
            name,
            kind: ParamKind::Text { hint },
            default: Value::Text(default.to_string()),
            doc,
            udp_default: None,
        }
    }

    /// The default in words, for `list` and `--help`: `30000`, or `30000 (150 over UDP)`.
    pub fn default_words(&self) -> String {
        match &self.udp_default {
            Some(udp) => format!("{} ({udp} over UDP)", self.default),
            None => self.default.to_string(),
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

    fn parse(&self, text: &str) -> Result<Value, ParamError> {
        let wrong = || ParamError::WrongType {
            name: self.name,
            expected: match &self.kind {
                ParamKind::Int { min, max } => format!("an integer in {min}..={max}"),
                ParamKind::Bool => "true or false".into(),
                ParamKind::Choice(words) => format!("one of {}", words.join(", ")),
                ParamKind::Text { hint } => hint.to_string(),
            },
            text: text.to_string(),
        };
        match &self.kind {
            ParamKind::Int { min, max } => {
                let n: u64 = text.parse().map_err(|_| wrong())?;
                // The model's own check, so that the message is the one its constructor gives.
                Ok(Value::Int(Bounds::new(self.name, *min, *max, n).check(n)?))
            }
            ParamKind::Bool => match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(wrong()),
            },
            ParamKind::Choice(words) => words
                .iter()
                .find(|w| **w == text)
                .map(|w| Value::Word(w))
                .ok_or_else(wrong),
            ParamKind::Text { hint } if text.is_empty() => Err(ParamError::Empty {
                name: self.name,
                hint,
            }),
            ParamKind::Text { .. } => Ok(Value::Text(text.to_string())),
        }
    }
}

/// Effective parameter values: every declared parameter, defaults filled in.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Params(BTreeMap<&'static str, Value>);

impl Params {
    /// Applies `NAME=VALUE` settings over the declared defaults.
    pub fn resolve(decls: &[Param], settings: &[String]) -> Result<Self, ParamError> {
        Self::resolve_with(decls, settings, |p| p.default.clone())
    }

    /// Applies `NAME=VALUE` settings over the defaults for a run over UDP: a parameter's
    /// [`Param::udp_default`] where it has one.
    pub fn resolve_over_udp(decls: &[Param], settings: &[String]) -> Result<Self, ParamError> {
        Self::resolve_with(decls, settings, |p| {
            p.udp_default.clone().unwrap_or_else(|| p.default.clone())
        })
    }

    fn resolve_with(
        decls: &[Param],
        settings: &[String],
        default: impl Fn(&Param) -> Value,
    ) -> Result<Self, ParamError> {
        let mut values: BTreeMap<&'static str, Value> =
            decls.iter().map(|p| (p.name, default(p))).collect();
        let mut seen = std::collections::BTreeSet::new();
        for setting in settings {
            let Some((name, text)) = setting.split_once('=') else {
                return Err(ParamError::Malformed(setting.clone()));
            };
            let (name, text) = (name.trim(), text.trim());
            let decl = decls.iter().find(|p| p.name == name).ok_or_else(|| {
                let known: Vec<_> = decls.iter().map(|p| p.name).collect();
                if known.is_empty() {
                    ParamError::NoParameters(name.to_string())
                } else {
                    ParamError::Unknown {
                        name: name.to_string(),
                        known: known.join(", "),
                    }
                }
            })?;
            if !seen.insert(decl.name) {
                return Err(ParamError::Repeated(decl.name));
            }
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
    fn a_parameter_set_twice_is_refused() {
        let err = Params::resolve(&decls(), &["rms=2".into(), " rms =3".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "parameter 'rms' is set twice; give it once"
        );
        assert!(Params::resolve(&decls(), &["rms=2".into(), "lossy=true".into()]).is_ok());
    }

    #[test]
    fn bad_settings_are_explained() {
        let err = |s: &str| {
            Params::resolve(&decls(), &[s.to_string()])
                .unwrap_err()
                .to_string()
        };
        assert!(err("rms=0").contains("must be in 1..=9"));
        assert!(err("rms=x").contains("takes an integer"));
        assert!(err("lossy=yes").contains("true or false"));
        assert!(err("network=mesh").contains("one of ordered, unordered"));
        assert!(err("nodes=3").contains("known parameters: rms, lossy, network"));
        assert!(err("rms").contains("expected NAME=VALUE"));
    }
}
