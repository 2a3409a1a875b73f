#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The short pass of the randomized stress lane (selftests/stress/stress.sh)
# in the test run: 20 s of ockam-stress across five nodes with netem,
# resets, a node deleted while busy and a daemon killed, the delivery
# checks, and the module unloaded at the end. The seed is printed first;
# STRESS_SEED replays it. The module is loaded again afterwards, for the
# tests that come after this one.

export STRESS_DURATION=${STRESS_DURATION:-20}
export STRESS_RELOAD=1
exec bash "${OCKAM_SELFTESTS:-$(cd "$(dirname "$0")/.." && pwd)}/stress/stress.sh"
