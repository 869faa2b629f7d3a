//! What each protocol must satisfy, kept apart from the protocols themselves (`models`).
//!
//! For each protocol there is a module that builds its checkable model (the actors from
//! `models` plus named properties) and, where one exists, a module with the abstract
//! specification it refines: a small [`stateright::Model`] whose states the protocol's states
//! map onto. Properties are stateright's `always` / `sometimes` / `eventually` predicates on
//! states, plus the [`StepInvariant`]s defined here, which our checker evaluates on every
//! transition.
//!
//! # Every property can fail
//!
//! A property that no model can violate shows nothing. For every property of every registered
//! protocol and spec, the broken variant that violates it: a parameter setting (`name=value`),
//! or a *planted* model, the registered model with one bug planted, checked by the same engine
//! with the same properties (`checker/tests/every_property_can_fail.rs`, "epcf" below, module
//! and test named). "Wiped storage" is the planted node that recovers from a crash as if it
//! had never run (its storage lost), the bug every persistence claim guards against. Tests are
//! in `checker/tests/` unless a crate is named.
//!
//! | protocol | property | kind | broken by | pinned in |
//! |---|---|---|---|---|
//! | atomic-commit | consistency | always | planted: commit without `canCommit` | `specs::atomic_commit` `commit_without_all_prepared_violates_consistency` |
//! | atomic-commit | all committed | sometimes | planted: no `DecideCommit` | epcf `atomic_commit::without_its_commit_disjunct_no_run_commits_all` |
//! | atomic-commit | all aborted | sometimes | planted: no `DecideAbort` | epcf `atomic_commit::without_its_abort_disjunct_no_run_aborts_all` |
//! | atomic-commit | deadlock | always | planted: rm1 never decides | epcf `atomic_commit::an_rm_that_never_decides_deadlocks` |
//! | two-phase | consistency | always | planted: `TMCommit` without `tmPrepared = RM` | epcf `two_phase::a_tm_that_commits_before_every_rm_prepared_is_inconsistent` |
//! | two-phase | refines atomic-commit | step | planted: `TMCommit` without `tmPrepared = RM` | epcf `two_phase::a_tm_that_commits_before_every_rm_prepared_is_inconsistent` |
//! | two-phase | all committed | sometimes | planted: no `TMCommit` | epcf `two_phase::without_tm_commit_no_run_commits_and_without_aborts_none_aborts` |
//! | two-phase | all aborted | sometimes | planted: no `TMAbort`, no `RMChooseToAbort` | epcf `two_phase::without_tm_commit_no_run_commits_and_without_aborts_none_aborts` |
//! | two-phase | deadlock | always | planted: rm1 deaf to the decision, no-op receipts ignored | epcf `two_phase::an_rm_deaf_to_the_decision_deadlocks_once_receipts_that_change_nothing_are_ignored` |
//! | two-phase-commit | agreement | always | `commit-rule=first-yes` | `golden.rs` `a_tm_that_commits_on_the_first_yes_is_caught` |
//! | two-phase-commit | commit only if all voted yes | always | `commit-rule=first-yes` | the same |
//! | two-phase-commit | all yes and no failure gives commit | always | planted: the TM logs its timeout abort as a No vote | epcf `two_phase_commit::a_tm_that_logs_its_timeout_abort_as_a_no_vote_breaks_ac4` |
//! | two-phase-commit | abstraction satisfies atomic-commit | always | `commit-rule=first-yes` (finding 1) | `golden.rs` `a_tm_that_commits_on_the_first_yes_is_caught` |
//! | two-phase-commit | all commit | sometimes | planted: RMs cannot vote Yes | epcf `two_phase_commit::rms_that_cannot_vote_yes_never_all_commit` |
//! | two-phase-commit | all abort | sometimes | planted: no No vote, no vote timer | epcf `two_phase_commit::a_system_with_no_way_to_abort_never_all_aborts` |
//! | two-phase-commit | termination | eventually | `crashes=1` | `golden.rs` `coordinator_crash_blocks_prepared_rms` |
//! | two-phase-commit | decision is never reversed | step | `commit-rule=first-yes` | `golden.rs` `a_tm_that_commits_on_the_first_yes_is_caught` |
//! | two-phase-commit | refinement | always | `commit-rule=first-yes` | `golden.rs` `two_phase_commit_refines_atomic_commit_and_ends_properly` |
//! | two-phase-commit | deadlock | always | `lossy=true` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | three-phase-commit | agreement | always | `rms=2 partition=true`; `rms=2 detector=timeout`; `rms=2 crashes=1 bug=recovery-decides-alone` | `three_phase_commit.rs` `a_partition_makes_one_side_commit_and_the_other_abort`, `a_timeout_detector_breaks_agreement_without_any_failure`, `a_recovered_rm_that_decides_alone_breaks_agreement` |
//! | three-phase-commit | commit only if all voted yes | always | `rms=2 crashes=1 bug=backup-commits-uncertain` | `three_phase_commit.rs` `a_backup_that_commits_when_all_are_uncertain_is_caught` |
//! | three-phase-commit | all yes and no failure gives commit | always | planted: the TM logs its timeout abort as a No vote (`rms=1 crashes=1`) | epcf `three_phase_commit::a_tm_that_logs_its_timeout_abort_as_a_no_vote_breaks_ac4` |
//! | three-phase-commit | abstraction satisfies atomic-commit | always | `rms=2 partition=true` | `three_phase_commit.rs` `a_partition_makes_one_side_commit_and_the_other_abort` |
//! | three-phase-commit | non-blocking | eventually | `rms=2 lossy=true` | `three_phase_commit.rs` `a_lossy_network_blocks_even_an_accurate_detector` |
//! | three-phase-commit | decision is never reversed | step | `rms=2 detector=timeout` | `three_phase_commit.rs` `a_timeout_detector_breaks_agreement_without_any_failure` |
//! | three-phase-commit | refinement | always | `rms=2 partition=true` | `three_phase_commit.rs` `a_partition_makes_one_side_commit_and_the_other_abort` |
//! | three-phase-commit | all commit | sometimes | planted: RMs cannot vote Yes | epcf `three_phase_commit::rms_that_cannot_vote_yes_never_all_commit` |
//! | three-phase-commit | all abort | sometimes | planted: RMs cannot vote No (no crash) | epcf `three_phase_commit::rms_that_cannot_vote_no_never_all_abort` |
//! | three-phase-commit | the termination protocol commits | sometimes | planted: the TM crashes only before any PreCommit (`rms=2 crashes=1`) | epcf `three_phase_commit::a_tm_that_crashes_only_before_any_pre_commit_never_lets_a_backup_commit` |
//! | three-phase-commit | the termination protocol aborts | sometimes | planted: the TM crashes only once committed (`rms=2 crashes=1`) | epcf `three_phase_commit::a_tm_that_crashes_only_after_it_committed_never_lets_a_backup_abort` |
//! | three-phase-commit | deadlock | always | planted: rm1 deaf to DoCommit and Abort | epcf `three_phase_commit::an_rm_deaf_to_the_decision_deadlocks` |
//! | paxos-commit | agreement | always | `bug=commit-without-all-prepared`; `rms=1 faults=0 crashes=1 bug=accept-lower-ballot` | `paxos_commit.rs` `a_leader_that_commits_without_every_instance_prepared_is_caught`, `an_acceptor_that_accepts_below_its_promise_breaks_agreement` |
//! | paxos-commit | commit only if all voted yes | always | `bug=commit-without-all-prepared` | `paxos_commit.rs` `a_leader_that_commits_without_every_instance_prepared_is_caught` |
//! | paxos-commit | all yes and no failure gives commit | always | `rms=1 leaders=1 detector=timeout bug=abort-on-timeout` | `paxos_commit.rs` `a_leader_that_aborts_on_its_timer_without_a_ballot_breaks_ac4` |
//! | paxos-commit | abstraction satisfies atomic-commit | always | `bug=commit-without-all-prepared` (finding 1 again) | `paxos_commit.rs` `a_leader_that_commits_without_every_instance_prepared_is_caught` |
//! | paxos-commit | all commit | sometimes | planted: RMs cannot vote Yes | epcf `paxos_commit::rms_that_cannot_vote_yes_never_all_commit` |
//! | paxos-commit | all abort | sometimes | planted: RMs cannot vote No | epcf `paxos_commit::rms_that_cannot_vote_no_never_all_abort` |
//! | paxos-commit | non-blocking | eventually | `rms=1 faults=0 leaders=1 crashes=1` (more than F acceptors down); `rms=1 lossy=true`; planted: a backup leader that never takes over (`rms=1 crashable=leader0-a1 crashes=2 recover=false`) | `paxos_commit.rs` `more_than_f_acceptors_down_block_it`, `a_lossy_network_blocks_it_too`; epcf `paxos_commit::a_backup_leader_that_never_takes_over_blocks_the_rms` |
//! | paxos-commit | decision is never reversed | step | `bug=commit-without-all-prepared`; `bug=accept-lower-ballot` | `paxos_commit.rs`, the same two as agreement |
//! | paxos-commit | refinement | always | `bug=commit-without-all-prepared`; `bug=accept-lower-ballot` | the same |
//! | paxos-commit | deadlock | always | `rms=1 lossy=true` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | consensus | agreement | always | planted: `Choose` without its guard | epcf `consensus::choose_without_its_guard_chooses_two_values` |
//! | consensus | validity | always | planted: `Choose` one value too many | epcf `consensus::choose_out_of_range_chooses_an_unproposed_value` |
//! | consensus | a value is chosen | eventually | planted: no `Choose` | epcf `consensus::no_value_to_choose_is_a_deadlock_and_never_chooses` |
//! | consensus | stability | step | planted: a later `Choose` overwrites | epcf `consensus::a_later_choice_that_overwrites_the_first_breaks_stability` |
//! | consensus | deadlock | always | planted: no `Choose` | epcf `consensus::no_value_to_choose_is_a_deadlock_and_never_chooses` |
//! | paxos | agreement | always | `acceptors=2 quorum=1`; `acceptors=1 crashes=1 durable=false` | `paxos.rs` `a_quorum_of_half_the_acceptors_chooses_two_values`, `an_acceptor_that_forgets_its_promise_breaks_agreement` |
//! | paxos | validity | always | planted: a proposer with value 7 | epcf `paxos::a_proposer_with_a_value_nobody_proposed_breaks_validity` |
//! | paxos | only a chosen value is learnt | always | planted: a learner with a quorum of 1 | epcf `paxos::a_learner_that_trusts_one_acceptor_learns_an_unchosen_value` |
//! | paxos | a value is learnt | sometimes | planted: acceptors that tell no learner | epcf `paxos::acceptors_that_never_tell_the_learners_let_nothing_be_learnt` |
//! | paxos | a value is chosen | eventually | `retry=true` | `paxos.rs` `retrying_proposers_are_safe_but_may_give_up` |
//! | paxos | a chosen value is learnt | leads-to | `proposers=1 lossy=true` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | paxos | stability | step | planted: wiped storage (`crashes=1`) | epcf `paxos::acceptors_that_lose_their_votes_in_a_crash_unchoose_a_value` |
//! | paxos | refinement | always | `acceptors=2 quorum=1` | `paxos.rs` `a_quorum_of_half_the_acceptors_chooses_two_values` |
//! | paxos | deadlock | always | `proposers=1 lossy=true` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | flp | agreement | always | planted: the racing network (`unordered-nonduplicating`), a replayed run | `specs::flp` `without_fifo_channels_a_stale_unlock_breaks_agreement_and_refinement` |
//! | flp | validity | always | planted: a contender with input 7 | epcf `flp::a_contender_with_an_input_outside_0_and_1_breaks_validity` |
//! | flp | 0 is decided, 1 is decided | sometimes | planted: both inputs 1 (or 0) | epcf `flp::contenders_with_equal_inputs_never_decide_the_other_value` |
//! | flp | a value is chosen | eventually | the default (`oracle=none`), FLP itself; `oracle=omega crashes=1 takeover=false` | `flp.rs` `without_an_oracle_a_fair_run_without_crashes_never_decides`, `with_one_crash_and_no_takeover_the_new_leader_is_locked_out` |
//! | flp | stability | step | planted: wiped storage (`crashes=1`) | epcf `flp::a_contender_that_loses_its_decision_in_a_crash_breaks_stability` |
//! | flp | refinement | always | planted: the racing network, a replayed run | `specs::flp` `without_fifo_channels_a_stale_unlock_breaks_agreement_and_refinement` |
//! | flp | deadlock | always | `lossy=true` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | multi-paxos | agreement | always | `ballots=2 bug=skip-phase-1` | `multi_paxos.rs` `a_leader_that_skips_phase_1_breaks_agreement_and_linearizability` |
//! | multi-paxos | replicas apply the same prefix | always | `ballots=2 bug=skip-phase-1` | the same |
//! | multi-paxos | linearizable | always | `ballots=2 bug=skip-phase-1`; `clients=2 ops=1 bug=ignore-key` | the same, and `replicas_that_ignore_the_key_break_linearizability` |
//! | multi-paxos | a get reads a put | sometimes | planted: a client that stops after its put | epcf `multi_paxos::a_client_that_stops_after_its_put_never_reads_it` |
//! | multi-paxos | a new leader takes over | sometimes (`ballots` >= 2) | planted: replicas that never suspect the leader | epcf `multi_paxos::replicas_that_never_suspect_the_leader_never_change_it` |
//! | multi-paxos | every operation completes | eventually | `ops=1 lossy=true`; `ballots=2 ops=1 crashes=1` | `multi_paxos.rs` `a_lossy_network_can_starve_a_client`, `a_crash_can_leave_no_replica_able_to_lead` |
//! | multi-paxos | applied commands are never undone | step | planted: wiped storage (`crashes=1`) | epcf `multi_paxos::a_replica_that_loses_its_storage_in_a_crash_undoes_its_log_and_promise` |
//! | multi-paxos | promises never decrease | step | planted: wiped storage (`crashes=1`) | the same |
//! | multi-paxos | deadlock | always | `ops=1 lossy=true` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | byzantine-agreement | loyal lieutenants obey the same order | always | planted: `Decide` unbound by the others' order under a traitor commander | epcf `byzantine_agreement::a_lieutenant_deaf_to_the_others_breaks_ic1_under_a_traitor_commander` |
//! | byzantine-agreement | loyal lieutenants obey a loyal commander | always | planted: the first loyal `Decide` unbound by a loyal commander's order | epcf `byzantine_agreement::a_lieutenant_deaf_to_a_loyal_commander_breaks_ic2_only` |
//! | byzantine-agreement | every loyal lieutenant decides | eventually | planted: no `Decide` for l1 | epcf `byzantine_agreement::a_lieutenant_that_never_decides_breaks_termination_and_deadlocks` |
//! | byzantine-agreement | deadlock | always | planted: no `Decide` for l1 | the same |
//! | om | loyal lieutenants obey the same order | always | `m=0` (a traitor commander) | `om.rs` `om_0_fails_with_one_traitor_commander` |
//! | om | loyal lieutenants obey a loyal commander | always | `generals=3` (the paper's impossibility) | `om.rs` `om_1_with_three_generals_fails_as_the_paper_proves` |
//! | om, sm | every loyal lieutenant decides | eventually | `traitors=none lossy=true` | `om.rs` `a_lossy_network_breaks_the_synchrony_and_termination` |
//! | om, sm | refinement | always | `om generals=3`; `sm forge=true` | `om.rs`, the same tests as IC2 |
//! | om, sm | deadlock | always | `traitors=none lossy=true` | `om.rs` `a_lossy_network_breaks_the_synchrony_and_termination` |
//! | sm | loyal lieutenants obey a loyal commander | always | `forge=true` | `om.rs` `sm_1_with_three_generals_holds_and_a_forger_breaks_it` |
//! | sm | loyal lieutenants obey the same order | always | `m=0` (a traitor commander) | `om.rs` `sm_0_fails_with_one_traitor_commander` |
//! | leader-election | at most one leader per term | always | planted: `Elect` in a term that has a leader | epcf `leader_election::an_election_in_a_term_that_has_a_leader_elects_two` |
//! | leader-election | beliefs name elected leaders | always | planted: `Learn` before the election | epcf `leader_election::learning_a_leader_before_the_election_believes_in_no_one` |
//! | leader-election | the leader has the highest id | always | planted: any node elected with `highest-wins=true` | epcf `leader_election::any_node_elected_where_the_highest_must_win` |
//! | leader-election | a leader is elected | eventually | planted: no `Elect` | epcf `leader_election::without_elections_no_leader_and_a_deadlock` |
//! | leader-election | every node knows the leader | eventually | planted: no `Learn` | epcf `leader_election::without_learning_not_every_node_knows_the_leader` |
//! | leader-election | deadlock | always | planted: no `Elect` | epcf `leader_election::without_elections_no_leader_and_a_deadlock` |
//! | chang-roberts | at most one leader | always | `ids=3,1,3` | `chang_roberts.rs` `duplicate_ids_elect_two_leaders` |
//! | chang-roberts | the leader is the node with the maximum id | always | `ids=3,1,3`; `forward=smaller` | the same, and `nodes_that_forward_smaller_ids_elect_the_minimum` |
//! | chang-roberts | nodes learn only the maximum id | always | `forward=smaller` | `chang_roberts.rs` `nodes_that_forward_smaller_ids_elect_the_minimum` |
//! | chang-roberts | a leader is elected | sometimes | planted: no candidacy comes back to its sender | epcf `chang_roberts::a_ring_that_never_brings_a_candidacy_back_elects_no_one` |
//! | chang-roberts | every node learns the leader | eventually | `crashes=1`; `forward=smaller` | `chang_roberts.rs` `a_node_that_stays_down_stops_the_ring`, `nodes_that_forward_smaller_ids_elect_the_minimum` |
//! | chang-roberts | refinement | always | `ids=3,1,3`; `forward=smaller` | `chang_roberts.rs` `duplicate_ids_elect_two_leaders`, `nodes_that_forward_smaller_ids_elect_the_minimum` |
//! | chang-roberts | deadlock | always | `forward=smaller` | `chang_roberts.rs` `nodes_that_forward_smaller_ids_elect_the_minimum` |
//! | raft-election | at most one leader per term | always | `terms=1 crashes=1 durable=false`; `terms=1 vote-for-self=false` | `raft_election.rs` `a_vote_forgotten_in_a_crash_elects_two_leaders_in_one_term`, `a_candidate_that_does_not_record_its_own_vote_votes_twice_unseen_by_voted_for` |
//! | raft-election | votes granted at most once per term | always | `terms=1 vote-for-self=false`; `terms=1 crashes=1 durable=false` | the same two |
//! | raft-election | a leader can be elected | sometimes | planted: election timers that never fire (and `nodes=1`, finding 3) | epcf `raft_election::election_timers_that_never_fire_elect_no_one_and_deadlock` |
//! | raft-election | a leader is elected | eventually | `terms=1` (the split vote) | `raft_election.rs` `three_candidates_in_the_last_term_split_the_vote` |
//! | raft-election | every live server knows the leader | eventually | `terms=1` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | raft-election | a recorded vote is kept for its term | step | `terms=1 crashes=1 durable=false` | `raft_election.rs` `a_vote_forgotten_in_a_crash_elects_two_leaders_in_one_term` |
//! | raft-election | terms never decrease | step | planted: wiped storage (`crashes=1`) | epcf `raft_election::a_server_that_loses_its_term_in_a_crash_goes_back_to_term_0` |
//! | raft-election | refinement | always | `terms=1 crashes=1 durable=false`; `terms=1 vote-for-self=false` | `raft_election.rs`, the same two |
//! | raft-election | deadlock | always | planted: election timers that never fire | epcf `raft_election::election_timers_that_never_fire_elect_no_one_and_deadlock` |
//! | bully | at most one coordinator among live nodes | always | `detector=unreliable`; `crashes=1 incarnation-check=false` | `bully.rs` `an_unreliable_detector_makes_two_coordinators`, `without_the_incarnation_check_a_stale_ack_makes_two_coordinators` |
//! | bully | a coordinator is elected | sometimes | planted: a halter that never hears its acks | epcf `bully::a_halter_that_never_hears_its_acks_never_coordinates` |
//! | bully | the highest live node coordinates and all follow it | eventually | `detector=unreliable` | `bully.rs` `an_unreliable_detector_makes_two_coordinators` |
//! | bully | no coordinator leads to the highest live node coordinating | leads-to | `detector=unreliable` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | bully | deadlock | always | `lossy=true` | epcf `parameter_settings_break_the_properties_no_other_test_breaks` |
//! | token-bucket | conforms to the token bucket | always | `bug=over-admit` (a bucket that refills past b) | `rate_limiter.rs` `a_limiter_that_admits_too_much_breaks_its_promise` |
//! | sliding-window-limiter | conforms to the sliding window | always | `bug=over-admit` (a window that forgets a tick early) | the same |
//! | fixed-window-counter | conforms to the fixed window | always | `bug=over-admit` (admits while count <= w) | the same |
//! | fixed-window-counter | conforms to the sliding window (`conformance=sliding-window`) | always | the protocol itself: 2w across a window boundary | `rate_limiter.rs` `the_fixed_window_counter_admits_2w_across_a_window_boundary` |
//! | fixed-window-counter | 2w admissions in t consecutive ticks | sometimes | `window=1` | `rate_limiter.rs` `one_tick_windows_have_no_boundary_to_burst_across` |
//! | all three limiters | every request is admitted or rejected | eventually | `bug=silent-drop`; `lossy=true` | `rate_limiter.rs` `a_limiter_that_drops_what_it_cannot_admit_loses_requests_silently`, `a_lossy_network_loses_requests_without_a_word` |
//! | all three limiters | no rejection while capacity is available | step | `bug=under-admit` (keeps one unit in reserve) | `rate_limiter.rs` `a_limiter_that_keeps_a_reserve_rejects_with_room_left` |
//! | all three limiters | a request is rejected | sometimes | `clients=1 requests=1` | `rate_limiter.rs` `the_reject_and_retry_phases_are_reached_and_need_their_settings` |
//! | all three limiters | a rejected request is admitted on retry | sometimes | `max-retries=0` | the same |
//! | all three limiters | deadlock | always | `bug=silent-drop` | `rate_limiter.rs` `a_limiter_that_drops_what_it_cannot_admit_loses_requests_silently` |
//! | bracha-broadcast | agreement | always | `processes=5 sender-faulty=true ready-threshold=3`: found by random walks (`simulate`, seed 0), past BFS's reach; also a replayed hand-built path | `bracha_broadcast.rs` `random_walks_find_the_two_deliveries_that_breadth_first_search_cannot_reach`, `an_echo_quorum_of_half_n_plus_f_delivers_two_values` |
//! | bracha-broadcast | validity | eventually | `processes=3 faulty=1` | `bracha_broadcast.rs` `three_processes_with_one_traitor_break_totality_and_validity` |
//! | bracha-broadcast | totality | leads-to | `processes=3 faulty=1` | the same |
//! | bracha-broadcast | deadlock | always | `processes=3 faulty=1` | the same (checked, not asserted) |
//! | bracha-broadcast | integrity | always | planted: a delivery output twice | epcf `bracha_broadcast::a_process_that_outputs_its_delivery_twice_breaks_integrity` |
//! | bracha-broadcast | refinement | always | `ready-threshold=1` (a loyal process delivers a value the loyal sender never sent; BFS, 3 steps); `processes=5 sender-faulty=true ready-threshold=3` (two first deliveries, random walks) | `bracha_broadcast.rs` `an_echo_quorum_of_one_delivers_a_value_the_loyal_sender_never_sent`, `random_walks_find_the_two_deliveries_that_breadth_first_search_cannot_reach` |
//! | reliable-broadcast | agreement | always | planted: `Deliver` unbound by the first delivery (`sender-faulty=true`) | epcf `reliable_broadcast::a_delivery_unbound_by_the_first_breaks_agreement` |
//! | reliable-broadcast | integrity | always | planted: a first `Deliver` of 1 under a loyal sender | epcf `reliable_broadcast::a_first_delivery_of_a_value_the_loyal_sender_never_sent_breaks_integrity` |
//! | reliable-broadcast | validity | eventually | planted: no `Deliver` for loyal process 0 | epcf `reliable_broadcast::a_process_that_never_delivers_breaks_validity_and_deadlocks` |
//! | reliable-broadcast | deadlock | always | planted: no `Deliver` for loyal process 0 | the same |
//! | dissemination | validity | always | planted: a `Learn` that garbles the rumor (1 step) | epcf `dissemination::a_learn_that_garbles_the_rumor_breaks_validity` |
//! | dissemination | every node knows the rumor | eventually | planted: no `Learn` to the last node (1 step, a run that stops) | epcf `dissemination::a_node_nobody_tells_never_knows_and_deadlocks` |
//! | dissemination | knowledge is never lost | step | planted: a node forgets what it learnt (2 steps) | epcf `dissemination::a_node_that_forgets_the_rumor_loses_knowledge` |
//! | dissemination | deadlock | always | planted: no `Learn` to the last node (1 step) | epcf `dissemination::a_node_nobody_tells_never_knows_and_deadlocks` |
//! | gossip | validity | always | planted: a node stores the rumor it learns garbled (2 steps) | epcf `gossip::a_node_that_garbles_the_rumor_it_learns_breaks_validity_and_refinement` |
//! | gossip | every live node knows the rumor | eventually | `stop-after=1` (round-robin and random partners); `mode=push stop-after=1 partners=random`; `partition=true` (both); `partners=random --fairness weak` | `gossip.rs` `rumor_mongering_that_stops_after_one_round_can_leave_a_node_uninformed`, `a_permanent_partition_blocks_dissemination`, `under_weak_fairness_a_random_partner_pick_may_never_pick_the_uninformed_peer` |
//! | gossip | knowledge is never lost | step | wiped storage, `nodes=3 crashes=1` (4 steps) | epcf `gossip::a_node_that_loses_its_storage_in_a_crash_forgets_the_rumor` |
//! | gossip | refinement | always | wiped storage, `nodes=3 crashes=1` (4 steps); planted garbling node (2 steps) | epcf `gossip::a_node_that_loses_its_storage_in_a_crash_forgets_the_rumor`, `gossip::a_node_that_garbles_the_rumor_it_learns_breaks_validity_and_refinement` |
//! | gossip | deadlock | always | `mode=push stop-after=1 partners=random` | `gossip.rs` `rumor_mongering_that_stops_after_one_round_can_leave_a_node_uninformed` |
//! | anti-entropy | a merged state dominates its inputs | always | `bug=bad-merge`; `crdt=gcounter bug=bad-merge` | `anti_entropy.rs` `a_merge_that_keeps_the_larger_value_is_caught`, `a_counter_merge_that_takes_the_incoming_count_is_caught` |
//! | anti-entropy | convergence never goes backwards | step | the same two | the same |
//! | anti-entropy | replicas converge | eventually | `bug=bad-merge`; `lossy=true` | `anti_entropy.rs` `a_merge_that_keeps_the_larger_value_is_caught`, `a_lost_write_is_never_reconciled` |
//! | anti-entropy | deadlock | always | `lossy=true` | `anti_entropy.rs` `a_lost_write_is_never_reconciled` |
//! | reliable-channel | output is a prefix of input | always | planted: `Output` repeats the last message | epcf `reliable_channel::an_output_that_repeats_the_last_message_breaks_the_prefix` |
//! | reliable-channel | every input is output | eventually | planted: no `Output` | epcf `reliable_channel::a_receiver_that_never_outputs_deadlocks_and_loses_the_stream` |
//! | reliable-channel | deadlock | always | planted: no `Output` | the same |
//! | stop-and-wait, go-back-n, selective-repeat | output is a prefix of input | always | `selective-repeat seq-bits=1 window=2`; `go-back-n seq-bits=1 window=2`; `stop-and-wait network=unordered-nonduplicating` | `sliding_window.rs` `selective_repeat_with_a_window_over_half_the_sequence_space_accepts_an_old_frame`, `go_back_n_with_a_window_of_the_whole_sequence_space_accepts_an_old_frame`, `the_alternating_bit_over_a_reordering_link_delivers_a_stale_frame` |
//! | stop-and-wait, go-back-n, selective-repeat | every message is delivered | eventually | `timer=false`; `go-back-n` with one loss and no timer, without fast retransmit or at the tail | `sliding_window.rs` `without_the_timer_a_lost_frame_is_never_repaired`, `fast_retransmit_repairs_one_loss_without_the_timer`, `fast_retransmit_cannot_see_a_loss_at_the_tail` |
//! | stop-and-wait, go-back-n, selective-repeat | refinement | always | the same settings as the prefix | the same tests |
//! | stop-and-wait, go-back-n, selective-repeat | deadlock | always | `timer=false` | `sliding_window.rs` `without_the_timer_a_lost_frame_is_never_repaired` |
//! | linearizable-register | linearizable | always | planted: a read that takes effect on the initial value | epcf `linearizable_register::a_read_that_ignores_the_write_is_not_linearizable` |
//! | linearizable-register | every operation completes | eventually | planted: no `TakeEffect` | epcf `linearizable_register::operations_that_never_take_effect_never_complete` |
//! | linearizable-register | deadlock | always | planted: no `TakeEffect` | the same |
//! | abd | linearizable | always | `write-back=false` | `cap.rs` `abd_reads_without_write_back_are_not_linearizable` |
//! | abd | a read returns a write | sometimes | `partition=minority` | `cap.rs` `abd_on_the_minority_side_of_a_partition_never_completes` |
//! | abd | every operation completes | eventually | `partition=minority` | the same |
//! | abd | deadlock | always | `partition=minority` | the same |
//! | lww-register | linearizable | always | the defaults (AP by design) | `cap.rs` `lww_is_available_but_not_linearizable_at_its_defaults` |
//! | lww-register | a read returns a write | sometimes | `partition=minority` | `cap.rs` `lww_completes_every_operation_under_a_minority_partition` |
//! | lww-register | every operation completes | eventually | `lossy=true` | `cap.rs` `a_lossy_network_leaves_an_lww_client_waiting` |
//! | lww-register | deadlock | always | `lossy=true` | the same |
//!
//! Deadlocks under `lossy=true` are an assumption violated (reliable delivery), not a protocol
//! bug: none of these protocols but the sliding-window ones retransmits, so once every message is lost nothing is left to
//! do. Findings:
//!
//! 1. two-phase-commit's `abstraction satisfies atomic-commit` is `agreement` again: `TCommit`'s
//!    consistency of the RM phases is AC1 word for word, and its other half (one phase per RM)
//!    cannot fail (see [`atomic_commit`]). Every variant that breaks one breaks the other; it
//!    is kept as the state-wise form of the refinement, not as evidence of its own.
//! 2. two-phase-commit's AC4 judges the TM by the cause it records: in an asynchronous model a
//!    timeout is a failure suspicion (see [`two_phase_commit`]), so a TM that aborts for no
//!    reason but records `Timeout` passes it. Only a TM whose record contradicts the votes
//!    fails it, as the planted one does.
//! 3. raft-election with `nodes=1` never elects its one server ("a leader can be elected" is
//!    not found): a candidate counts its own vote but checks for a majority only when a `Vote`
//!    arrives, and a lone server gets none. A bug in the model (Figure 2: a candidate that has
//!    votes from a majority becomes leader), left for the model's owner; 3 or 5 servers, the
//!    configurations checked and pinned, are unaffected.
//! 4. atomic-commit's `type invariant` (`TCTypeOK`) could not fail and was dropped (see
//!    [`atomic_commit`]); chang-roberts's `the leader has the maximum id` could not see
//!    duplicate ids and became `the leader is the node with the maximum id`; raft-election's
//!    `votes granted at most once per term` read only `votedFor` and now reads the votes given
//!    (see [`raft_election`]).

pub mod params;
pub mod protocol;

pub mod abd;
pub mod anti_entropy;
pub mod atomic_commit;
pub mod bracha_broadcast;
pub mod bully;
pub mod byzantine_agreement;
pub mod chang_roberts;
pub mod consensus;
pub mod dissemination;
pub mod flp;
pub mod gossip;
pub mod leader_election;
pub mod linearizable_register;
pub mod lww_register;
pub mod multi_paxos;
pub mod om;
pub mod paxos;
pub mod paxos_commit;
pub mod raft_election;
pub mod rate_limiter;
pub mod reliable_broadcast;
pub mod reliable_channel;
pub mod sliding_window;
pub mod sm;
pub mod three_phase_commit;
pub mod two_phase;
pub mod two_phase_commit;

/// An invariant of steps: must hold for every reachable transition `before -> after` (TLA+'s [][A]_v).
pub struct StepInvariant<M: stateright::Model> {
    /// A short lowercase claim, used word for word in tests and reports.
    pub name: &'static str,
    /// Whether the step from `before` (second argument) to `after` (third) is allowed.
    pub holds: fn(&M, &M::State, &M::State) -> bool,
}

// Written by hand because a derive would require `M: Clone`, which the fields do not need.
impl<M: stateright::Model> Clone for StepInvariant<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            holds: self.holds,
        }
    }
}

/// A leads-to property `P ~> Q` (TLA+'s `[](P => <>Q)`): whenever `from` holds, `to` holds then
/// or later, under the fairness the checker assumes.
pub struct LeadsTo<M: stateright::Model> {
    /// A short lowercase claim, used word for word in tests and reports.
    pub name: &'static str,
    pub from: fn(&M, &M::State) -> bool,
    pub to: fn(&M, &M::State) -> bool,
}

impl<M: stateright::Model> Clone for LeadsTo<M> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            from: self.from,
            to: self.to,
        }
    }
}

/// The actor-system state `s` with its actors renamed by `plan` (actor `i` becomes actor
/// `plan(i)`, and every id inside states, messages and storage follows): the building block of
/// a symmetry representative, which picks the plan that sorts interchangeable actors.
pub fn rename_actors<A, H>(
    s: &stateright::actor::ActorModelState<A, H>,
    plan: &stateright::RewritePlan<
        stateright::actor::Id,
        stateright::util::DenseNatMap<stateright::actor::Id, stateright::actor::Id>,
    >,
) -> stateright::actor::ActorModelState<A, H>
where
    A: stateright::actor::Actor,
    A::State: stateright::Rewrite<stateright::actor::Id>,
    A::Msg: stateright::Rewrite<stateright::actor::Id>,
    A::Random: stateright::Rewrite<stateright::actor::Id>,
    A::Storage: stateright::Rewrite<stateright::actor::Id>,
    H: stateright::Rewrite<stateright::actor::Id>,
{
    use stateright::Rewrite;
    stateright::actor::ActorModelState {
        actor_states: plan.reindex(&s.actor_states),
        network: s.network.rewrite(plan),
        timers_set: plan.reindex(&s.timers_set),
        random_choices: plan.reindex(&s.random_choices),
        crashed: plan.reindex(&s.crashed),
        actor_storages: plan.reindex(&s.actor_storages),
        history: s.history.rewrite(plan),
    }
}

/// The canonical representative of an actor-system state under a symmetry: the actors sorted
/// by `key` (everything that tells one actor apart from another, with no renamable id in it),
/// every id renamed to match. Canonical when equal keys mean interchangeable actors: every
/// permutation of a class then has the same representative.
pub fn sorted_by_key<A, H, K: Ord>(
    s: &stateright::actor::ActorModelState<A, H>,
    key: impl Fn(usize) -> K,
) -> stateright::actor::ActorModelState<A, H>
where
    A: stateright::actor::Actor,
    A::State: stateright::Rewrite<stateright::actor::Id>,
    A::Msg: stateright::Rewrite<stateright::actor::Id>,
    A::Random: stateright::Rewrite<stateright::actor::Id>,
    A::Storage: stateright::Rewrite<stateright::actor::Id>,
    H: Clone + stateright::Rewrite<stateright::actor::Id>,
{
    let keys: Vec<K> = (0..s.actor_states.len()).map(key).collect();
    // Already in order: renaming would rebuild the same state.
    if keys.is_sorted() {
        return s.clone();
    }
    rename_actors(s, &stateright::RewritePlan::from_values_to_sort(&keys))
}

/// The messages in flight to and from one actor, as a symmetry key reads them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mail<M> {
    /// Messages to the actor with their sender: sorted on unordered networks, per channel in
    /// FIFO order on an ordered one.
    pub inbox: Vec<(stateright::actor::Id, M)>,
    /// Messages from the actor with their receiver, in the same order.
    pub outbox: Vec<(stateright::actor::Id, M)>,
    /// The duplicating network's last delivered message, if the actor sent it (`true`, with
    /// its receiver) or received it (`false`, with its sender).
    pub last: Option<(bool, stateright::actor::Id, M)>,
}

/// The messages in flight to and from actor `id` (see [`Mail`]).
pub fn mail_of<M>(network: &stateright::actor::Network<M>, id: stateright::actor::Id) -> Mail<M>
where
    M: Clone + Ord + std::hash::Hash,
{
    use stateright::actor::{Id, Network};
    let (mut inbox, mut outbox, mut last) = (Vec::new(), Vec::new(), None);
    let mut file = |src: Id, dst: Id, msg: &M, n: usize| {
        for _ in 0..n {
            if dst == id {
                inbox.push((src, msg.clone()));
            } else if src == id {
                outbox.push((dst, msg.clone()));
            }
        }
    };
    match network {
        Network::UnorderedDuplicating(set, last_delivered) => {
            set.iter().for_each(|e| file(e.src, e.dst, &e.msg, 1));
            last = last_delivered
                .as_ref()
                .filter(|e| e.src == id || e.dst == id)
                .map(|e| {
                    let peer = if e.src == id { e.dst } else { e.src };
                    (e.src == id, peer, e.msg.clone())
                });
        }
        Network::UnorderedNonDuplicating(multiset) => multiset
            .iter()
            .for_each(|(e, n)| file(e.src, e.dst, &e.msg, *n)),
        Network::Ordered(channels) => channels
            .iter()
            .for_each(|((src, dst), queue)| queue.iter().for_each(|m| file(*src, *dst, m, 1))),
    }
    if !matches!(network, Network::Ordered(_)) {
        inbox.sort();
        outbox.sort();
    }
    Mail {
        inbox,
        outbox,
        last,
    }
}

/// [`mail_of`] for every actor `0..actors` at once, in one pass over the network: what a
/// symmetry key needs for every actor, at the cost of reading the network once rather than
/// once per actor.
pub fn mails_of<M>(network: &stateright::actor::Network<M>, actors: usize) -> Vec<Mail<M>>
where
    M: Clone + Ord + std::hash::Hash,
{
    use stateright::actor::{Id, Network};
    let mut mails: Vec<Mail<M>> = (0..actors)
        .map(|_| Mail {
            inbox: Vec::new(),
            outbox: Vec::new(),
            last: None,
        })
        .collect();
    let mut file = |src: Id, dst: Id, msg: &M, n: usize| {
        for _ in 0..n {
            if let Some(mail) = mails.get_mut(usize::from(dst)) {
                mail.inbox.push((src, msg.clone()));
            }
            if src != dst {
                if let Some(mail) = mails.get_mut(usize::from(src)) {
                    mail.outbox.push((dst, msg.clone()));
                }
            }
        }
    };
    match network {
        Network::UnorderedDuplicating(set, _) => {
            set.iter().for_each(|e| file(e.src, e.dst, &e.msg, 1))
        }
        Network::UnorderedNonDuplicating(multiset) => multiset
            .iter()
            .for_each(|(e, n)| file(e.src, e.dst, &e.msg, *n)),
        Network::Ordered(channels) => channels
            .iter()
            .for_each(|((src, dst), queue)| queue.iter().for_each(|m| file(*src, *dst, m, 1))),
    }
    if let Network::UnorderedDuplicating(_, Some(e)) = network {
        for (id, sent) in [(e.src, true), (e.dst, false)] {
            if !sent && e.src == e.dst {
                continue;
            }
            if let Some(mail) = mails.get_mut(usize::from(id)) {
                let peer = if sent { e.dst } else { e.src };
                mail.last = Some((sent, peer, e.msg.clone()));
            }
        }
    }
    if !matches!(network, Network::Ordered(_)) {
        for mail in &mut mails {
            mail.inbox.sort();
            mail.outbox.sort();
        }
    }
    mails
}

/// The name of an enum variant from its `Debug` text: `Prepare(0)` -> `Prepare`.
pub fn variant_name(debug: &str) -> &str {
    let end = debug.find(['(', '{', ' ']).unwrap_or(debug.len());
    &debug[..end]
}
