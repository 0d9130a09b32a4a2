//! slsr's one integration-test binary (one binary links the SDK once).
//!
//! Modules by subject; `support` holds the emulator and binary helpers they share,
//! `console` makes resources with plain SDK calls and `ground_truth` reads them back so.

/// Every page of an API Gateway v1 (REST API) listing, `position` in and out: the REST API
/// modules' ground truth. Defined before the modules so that each can use it.
macro_rules! rest_items {
    ($request:expr) => {{
        let mut all = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let out = $request.set_position(position).send().await.unwrap();
            all.extend(out.items().iter().cloned());
            position = out.position().map(str::to_string);
            if position.is_none() {
                break all;
            }
        }
    }};
}

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
mod waves;
mod widening;
