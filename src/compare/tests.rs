//! Unit tests of the comparator's flow on in-memory values.
