# Lastmile Orchestrator. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROTO_SRC := $(wildcard protos/lastmile/v1/*.proto)
ADDRESS ?= 127.0.0.1:50051

.PHONY: setup protos protos-check fmt lint test run bench cov clean sample

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

# Generated code is committed; only this target writes it.
protos: $(STAMP)
	$(PY) -m grpc_tools.protoc -I protos \
		--python_out=protos --pyi_out=protos --grpc_python_out=protos \
		--plugin=protoc-gen-mypy_grpc=$(VENV)/bin/protoc-gen-mypy_grpc --mypy_grpc_out=protos \
		$(PROTO_SRC)

protos-check: $(STAMP)
	@tmp=$$(mktemp -d) && mkdir -p $$tmp/out && \
	$(PY) -m grpc_tools.protoc -I protos \
		--python_out=$$tmp/out --pyi_out=$$tmp/out --grpc_python_out=$$tmp/out \
		--plugin=protoc-gen-mypy_grpc=$(VENV)/bin/protoc-gen-mypy_grpc --mypy_grpc_out=$$tmp/out \
		$(PROTO_SRC) && \
	for f in $$(cd $$tmp/out && find . -type f); do \
		cmp -s $$tmp/out/$$f protos/$$f || { echo "generated code is stale: $$f (run make protos)"; rm -rf $$tmp; exit 1; }; \
	done; rm -rf $$tmp; echo "generated code is current"

fmt: $(STAMP)
	$(VENV)/bin/ruff format service solver rules clients samples bench tests
	$(VENV)/bin/ruff check --fix service solver rules clients samples bench tests

lint: $(STAMP)
	$(VENV)/bin/ruff check service solver rules clients samples bench tests
	$(VENV)/bin/ruff format --check service solver rules clients samples bench tests
	$(VENV)/bin/mypy

test: lint protos-check
	$(PY) -m pytest -q

run: $(STAMP)
	$(PY) -m service.demo --address $(ADDRESS) --sample samples/sample_day.json

sample: $(STAMP)
	$(PY) -m samples.generate --seed 7 --out samples/sample_day.json

bench: $(STAMP)
	$(PY) -m bench --out results

cov: $(STAMP)
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q

clean:
	rm -rf $(VENV) results .mypy_cache .ruff_cache .pytest_cache
