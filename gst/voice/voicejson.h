/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

/* Private helpers: JSON text checked and parsed with json-glib. */

#include <json-glib/json-glib.h>

#include <string>

/* Parses @text; NULL when it is not valid JSON, or not an object when
 * @want_object. */
JsonNode *voice_json_parse (const gchar * text, gboolean want_object);

/* TRUE if @text parses (as an object when @want_object). */
gboolean voice_json_is_valid (const gchar * text, gboolean want_object);

/* @node as Python's json.dumps (node, indent=2) writes it: the reference
 * writes its manifest that way, so the same data gives the same text
 * (ASCII only, shortest round-trip floats, "key": value). Non-finite
 * numbers, which JSON cannot hold, are written as null. */
gchar *voice_json_to_text (JsonNode * node);

/* A string and a number as voice_json_to_text () writes them, appended to
 * @out: for text written without a tree. */
void voice_json_append_string (std::string & out, const gchar * s);
void voice_json_append_double (std::string & out, gdouble v);
