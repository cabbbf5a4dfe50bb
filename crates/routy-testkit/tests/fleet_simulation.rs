#![cfg(feature = "sim")]
//! The process-fleet simulator: its invariants hold on many seeds of a
//! store that fails, a seed replays byte for byte, and what the store is
//! for shows in the numbers (fewer 429s with it; none when paced).

use routy_testkit::sim::{FleetSimulation, StoreState, What};

#[test]
fn a_fleet_over_a_failing_store_keeps_every_rule_on_every_seed() {
    let report = FleetSimulation::new().processes(8).schedules(300).run();
    assert_eq!(report.schedules, 300);
    assert!(!report.broke_invariants(), "{report}");
    assert!(report.calls == 300 * 8 * 10, "{report}");
}

#[test]
fn a_seed_is_one_schedule_replayed_byte_for_byte() {
    let fleet = FleetSimulation::new().processes(4);
    for seed in [1, 7, 42] {
        let (a, b) = (fleet.run_one(seed), fleet.run_one(seed));
        assert_eq!(a.trace.to_string(), b.trace.to_string());
    }
    assert_ne!(
        fleet.run_one(1).trace.to_string(),
        fleet.run_one(2).trace.to_string()
    );
}

#[test]
fn the_seed_draws_store_outages_and_the_trace_shows_them() {
    let fleet = FleetSimulation::new().processes(4);
    let mut seen = Vec::new();
    for seed in 0..40 {
        for event in fleet.run_one(seed).trace.events {
            if let What::Store(state) = event.what {
                if !seen.contains(&state) {
                    seen.push(state);
                }
            }
        }
    }
    for state in [
        StoreState::Down,
        StoreState::Slow,
        StoreState::Restarted,
        StoreState::Up,
    ] {
        assert!(seen.contains(&state), "{state:?} never drawn: {seen:?}");
    }
}

#[test]
fn the_store_spares_the_api_429s_and_a_paced_fleet_meets_none() {
    let seeds = 0..50;
    let alone = FleetSimulation::new()
        .store(false)
        .seeds(seeds.clone())
        .run();
    let shared = FleetSimulation::new()
        .store_faults(false)
        .seeds(seeds.clone())
        .run();
    let paced = FleetSimulation::new()
        .store_faults(false)
        .pace(true)
        .seeds(seeds)
        .run();
    assert!(
        shared.refused_per_window() < alone.refused_per_window(),
        "{shared}\n{alone}"
    );
    assert_eq!(paced.refused, 0, "{paced}");
    for report in [&alone, &shared, &paced] {
        assert!(!report.broke_invariants(), "{report}");
    }
}
