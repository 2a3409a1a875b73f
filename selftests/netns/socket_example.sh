#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The example program in Documentation/socket-api.rst (built from the
# document as ockam-socket-example) does what the document says it does.

. "${OCKAM_SELFTESTS:-$(dirname "$0")/..}/lib/netns.sh"

require_cmd ockam-socket-example

node_add example
out=$(node_exec example ockam-socket-example 2>&1)
tap_expect_eq "the socket API example prints the echoed message" hello "$out"
tap_done
