# Everything a person runs. Python 3.13 (the Lambda runtime) drives the dev virtualenv; SAM CLI has its
# own virtualenv because it pins an older boto3 than moto needs.
SHELL := /bin/bash
PYTHON313 ?= $(shell command -v pyenv >/dev/null 2>&1 && echo "$$(pyenv root)/versions/3.13.0/bin/python3.13" || command -v python3.13)
VENV := .venv
SAM_VENV := .venv-sam
SCAN_VENV := .venv-scan
PY := $(VENV)/bin/python
SAM := PATH="$(dir $(PYTHON313)):$$PATH" $(SAM_VENV)/bin/sam
ENV ?= dev
PORT ?= 3000

.PHONY: setup run test test-unit test-moto test-integration mutation bench fuzz lint validate scan build deploy clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x "$(PYTHON313)" || { echo "Python 3.13 not found; set PYTHON313=/path/to/python3.13"; exit 1; }
	test -d $(VENV) || "$(PYTHON313)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

$(SAM_VENV)/.installed:
	test -d $(SAM_VENV) || "$(PYTHON313)" -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli==1.170.0"
	touch $@

## The local stack: moto (DynamoDB, S3, SQS, SSM), the API on http://127.0.0.1:$(PORT), the queue worker.
run: setup
	PORT=$(PORT) $(PY) -m postbacks_local.local_stack

## The test suite, against a moto server over HTTP: unit, reliability and (against the local stack,
## or a deployed one when AWS_SAM_STACK_NAME is set) integration tests. Work stealing keeps both cores busy
## to the end: a few fuzz tests take far longer than the rest.
test: setup
	$(PY) -m pytest -n auto --dist worksteal

test-unit: setup
	$(PY) -m pytest tests/unit

test-moto: setup
	$(PY) -m pytest -n auto tests/moto

test-integration: setup
	$(PY) -m pytest tests/integration

## Mutation testing of the pure modules (domain, keys, codec, fragments, address policy; mutmut, killed by the unit
## suite); prints the score, see docs/mutation.md.
# MUTANTS narrows the run to some mutants by name pattern, e.g. MUTANTS='postbacks.storage.keys*'.
MUTANTS ?=
mutation: setup
	ln -sfn layers/postbacks/postbacks postbacks
	mkdir -p mutants/layers/postbacks
	HYPOTHESIS_PROFILE=mutation $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS) || true
	# mutmut finds its results through the link too: it goes after the score is read.
	$(PY) -m tests.mutation_score; status=$$?; rm -f postbacks; exit $$status

## Benchmarks with budgets (not part of `make test`); writes the results into docs/performance.md.
bench: setup
	$(PY) -m tests.benchmarks.run

## The long fuzz run of decode + parse: hypothesis with every example count x50 (atheris when installed).
FUZZ_MINUTES ?= 10
fuzz: setup
	$(PY) -m tests.reliability.fuzz_long --minutes $(FUZZ_MINUTES)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/postbacks tools functions/ingest/app.py functions/worker/app.py functions/events/app.py

$(SCAN_VENV)/.installed:
	test -d $(SCAN_VENV) || "$(PYTHON313)" -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet "checkov>=3.2"
	touch $@

## Security scan of the template; the checks it skips, and why, are in .checkov.yaml.
scan: $(SCAN_VENV)/.installed
	$(SCAN_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml

validate: $(SAM_VENV)/.installed
	AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --lint
	$(SAM_VENV)/bin/cfn-lint template.yaml

build: $(SAM_VENV)/.installed
	$(SAM) build

deploy: build
	$(SAM) deploy --config-env $(ENV)

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .venv .venv-sam .venv-scan
