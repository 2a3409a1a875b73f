#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Placeholder for the benchmarks ("make bench"), run inside the VM.
echo "bench: not written yet"
