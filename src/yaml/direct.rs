//! The second path of `documents` and `documents_as_written` (for what `subset` leaves): each
//! document deserialised by `serde_norway` straight into a `serde_json::Value`, without the
//! intermediate `serde_norway::Value` (an `IndexMap` of hashed `Value` keys) and the copy
//! `to_json` makes of it. Over the 6,000 YAML files of a 2,000-tenant tree, those two trees were
//! about half the reference path's time, libyaml's scanning the other half (issue 14).
//!
//! It handles only what it reads exactly as the reference path (`super::reference`) does: plain
//! and quoted scalars, string keys, sequences, maps, anchors and aliases (the deserializer replays
//! an alias's events). Anything else makes it give up, and `super` rereads the whole text by the
//! reference path, so every result, error and offset is the reference path's own: a key that is
//! not a string (`1:`, `true:`, `~:`, a map), a merge key `<<` (when merging), a tag the
//! deserializer reports as an enum (`!custom`, `!`), a float JSON cannot hold (NaN, infinities),
//! an integer beyond `u64` or `i64` (an error there too), a duplicate key, and every syntax error.
//!
//! **Invariant:** `documents(text, merge)` is `Some` only with the reference path's `Ok` value.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, map::Entry};

/// Every document of `text`, or `None` where the reference path must decide (see the module
/// doc). `merge`: a `<<` key is a merge key (`documents`) rather than a plain key.
pub(super) fn documents(text: &str, merge: bool) -> Option<Vec<Value>> {
    let mut documents = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        documents.push(Node { merge }.deserialize(document).ok()?);
    }
    Some(documents)
}

/// The message of every give-up; never shown, since the reference path's result replaces it.
const UNHANDLED: &str = "not read by the fast path";

/// A node of any kind, built as the reference path's `to_json` would build it.
#[derive(Clone, Copy)]
struct Node {
    merge: bool,
}

impl<'de> DeserializeSeed<'de> for Node {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a YAML node the fast path reads")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    // `serde_json` stores a non-negative `i64` as it stores a `u64`, as `to_json` reads a
    // `serde_norway` number (`as_i64` first, then `as_u64`): the two trees compare equal.
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    /// NaN and the infinities become strings in `to_json` (`.nan`, `.inf`): left to it.
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(value)
            .map(Value::Number)
            .ok_or_else(|| E::custom(UNHANDLED))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    /// An empty document.
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = sequence.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    /// A duplicate key is an error of the reference path (`serde_norway::Mapping` refuses it),
    /// reported there with its message and offset.
    fn visit_map<A: MapAccess<'de>>(self, mut mapping: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = mapping.next_key_seed(Key)? {
            if self.merge && key == "<<" {
                return Err(de::Error::custom(UNHANDLED));
            }
            match map.entry(key) {
                Entry::Occupied(_) => return Err(de::Error::custom(UNHANDLED)),
                Entry::Vacant(entry) => {
                    entry.insert(mapping.next_value_seed(self)?);
                }
            }
        }
        Ok(Value::Object(map))
    }

    // Not implemented, so an error, so the reference path: `visit_enum` (a tag), `visit_i128`
    // and `visit_u128` (which `serde_norway::Value` refuses too), `visit_some`, bytes.
}

/// A map key: only a string (plain or quoted, or an alias to one). `to_json` writes any other
/// key as its YAML text, which two different keys can share: the reference path decides.
#[derive(Clone, Copy)]
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Visitor<'_> for Key {
    type Value = String;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_owned())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<String, E> {
        Ok(value)
    }
}
