# Everything a person runs. Python 3.13 (the Lambda runtime) drives the dev virtualenv; SAM CLI has its
# own virtualenv because it pins an older boto3 than moto needs.
SHELL := /bin/bash
# Any Python 3.13.x: PYTHON313=..., else pyenv's newest 3.13, else python3.13 or python3 on PATH (it says which).
FIND_PYTHON313 := PYTHON313="$(PYTHON313)" tools/find-python313
VENV := .venv
SAM_VENV := .venv-sam
SCAN_VENV := .venv-scan
PY := $(VENV)/bin/python
# sam build checks that python3.13 is on PATH.
SAM := PATH="$$(dirname "$$($(FIND_PYTHON313))"):$$PATH" $(SAM_VENV)/bin/sam
ENV ?= dev
# The region to deploy to; empty: AWS_DEFAULT_REGION or the AWS profile's region (botocore reads no AWS_REGION).
REGION ?=
PORT ?= 3000

.PHONY: setup setup-sam check-install deploy-region run test test-unit test-moto test-integration mutation bench fuzz lint validate scan build deploy clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python313="$$($(FIND_PYTHON313))" || exit 1; test -d $(VENV) || "$$python313" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

## SAM CLI in its own virtualenv (.venv-sam/bin/sam): it pins an older boto3 than moto needs.
setup-sam: $(SAM_VENV)/.installed

$(SAM_VENV)/.installed:
	python313="$$($(FIND_PYTHON313))" || exit 1; test -d $(SAM_VENV) || "$$python313" -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli==1.170.0"
	touch $@

## pip install . (and .[local]) into fresh virtualenvs: every module imports, the postbacks command runs.
check-install: setup
	POSTBACKS_INSTALL_CHECK=1 $(PY) -m pytest -p no:xdist tests/infrastructure/test_packaging.py

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
	$(VENV)/bin/mypy layers/postbacks tools functions/ingest/app.py functions/worker/app.py functions/events/app.py functions/analytics/app.py

$(SCAN_VENV)/.installed:
	python313="$$($(FIND_PYTHON313))" || exit 1; test -d $(SCAN_VENV) || "$$python313" -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet "checkov>=3.2"
	touch $@

## Security scan of the template; the checks it skips, and why, are in .checkov.yaml.
scan: $(SCAN_VENV)/.installed
	$(SCAN_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml

validate: $(SAM_VENV)/.installed
	AWS_DEFAULT_REGION=us-east-1 $(SAM) validate --lint
	# Every region's resource types: a region-limited one must be refused by a rule (docs/deploy.md).
	$(SAM_VENV)/bin/cfn-lint --regions ALL_REGIONS -- template.yaml

build: $(SAM_VENV)/.installed
	$(SAM) build

## Deploy with samconfig.toml's settings for ENV (dev, prod); see docs/deploy.md for a first deploy.
deploy: deploy-region build
	$(SAM) deploy --config-env $(ENV) $(if $(REGION),--region $(REGION))

# Before the build: a deploy without a region would fail only after it.
deploy-region: $(SAM_VENV)/.installed
	@region="$(REGION)"; region="$${region:-$$($(SAM_VENV)/bin/python -c 'import boto3; print(boto3.session.Session().region_name or "")')}"; \
	test -n "$$region" || grep -qE '^region *=' samconfig.toml || { echo "No AWS region: run make deploy REGION=eu-west-1 (or set AWS_DEFAULT_REGION, or a region in the AWS profile)."; exit 1; }; \
	echo "Deploying postbacks-$(ENV) to $$region"

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .venv .venv-sam .venv-scan
