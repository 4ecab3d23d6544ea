/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The fuzz targets' input: text, one GstStructure a line.
 *
 * It is not GStreamer's structure syntax (its parser, under fuzzing,
 * leaks and warns by itself in 1.22) but a plain one, a structure a line:
 *
 *   voice-speaker;name:s=alice;role:s=user
 *
 * with types s (string), u (guint64), U (uint), i (int), d (double,
 * "nan" and "inf" too), b (boolean), a (an array of one structure of that
 * name); \xHH in a value is a byte. Any name, field or value may be
 * missing, mistyped or hostile: that is the point.
 */
#pragma once

#include <gst/gst.h>

/* The structure of @line, or %NULL when it has no name. */
GstStructure *structure_from_line (const gchar * line);
