//! Shared fixtures for wrkflw's behaviour tests: the seed table of the original library, its
//! exact legacy DDL, and helpers to build legacy databases in real files.
