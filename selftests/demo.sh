#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Placeholder for the three-node demo ("make demo"), run inside the VM.
echo "demo: not written yet"
