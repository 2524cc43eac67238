"""Rules as data: service levels, requirements and carrier eligibility from YAML decision tables.

Public entry points (see rules/README.md):
- `rules.store.RuleStore(dir, poll_interval_s=1.0)`: validated, tested, hot-reloaded rules;
- `rules.engine.RulesPolicy(store)`: a `solver.eligibility.Policy` (`evaluate(snapshot)`);
- `rules.api.check_dir`, `test_dir`, `validate_texts`: reports for CLI and ValidateRules;
- `rules.cli.main_check(dir)`, `main_test(dir)`: `lastmile rules check|test DIR`.
"""
