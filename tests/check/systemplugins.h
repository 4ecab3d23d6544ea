/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/* Loads the GStreamer plugins of the system that the recorder and these
 * tests use, by file: scanning them all would load plugins whose own
 * start-up leaks (OpenNI2, fontconfig, udev) under AddressSanitizer. */
void load_system_plugins (void);
