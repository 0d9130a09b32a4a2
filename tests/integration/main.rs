//! slsr's one integration-test binary (one binary links the SDK once).
//!
//! Modules by subject; `support` holds the emulator and binary helpers they share,
//! `console` makes resources with plain SDK calls and `ground_truth` reads them back so.

mod alarms;
mod apply;
mod buckets;
mod build;
mod cli;
mod cli_live;
mod code_files;
mod console;
mod cost;
mod data_safety;
mod docs;
mod domains;
mod emulator;
mod enforcing;
mod features;
mod fixtures;
mod fuzz;
mod ground_truth;
mod init;
mod invoke;
mod live_plan;
mod lock;
mod logs;
mod managed_secrets;
mod messaging;
mod ownership;
mod package;
mod plan;
mod policy;
mod proxy;
mod reliability;
mod rest_api;
mod rest_auth;
mod rest_cors;
mod rest_keys;
mod rest_stage_logs;
mod schema;
mod secrets;
mod state_machines;
mod streams;
mod support;
mod tables;
mod widening;
