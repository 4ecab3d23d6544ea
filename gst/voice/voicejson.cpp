/* GStreamer voice conversation library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "voicejson.h"

#include <cstring>

/* JSON nested deeper than this is refused: json-glib parses (and copies)
 * recursively, and the application's text (a tool's arguments from a
 * language model) could otherwise overflow the stack of the thread that
 * takes it. */
#define MAX_DEPTH 64

static gboolean
depth_is_bounded (const gchar * text)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  for (const gchar * p = text; *p; p++) {
    if (in_string) {
      if (*p == '\\' && p[1])
        p++;
      else if (*p == '"')
        in_string = FALSE;
    } else if (*p == '"') {
      in_string = TRUE;
    } else if (*p == '[' || *p == '{') {
      if (++depth > MAX_DEPTH)
        return FALSE;
    } else if ((*p == ']' || *p == '}') && depth > 0) {
      depth--;
    }
  }
  return TRUE;
}

/* json-glib (1.6) can give strings that are not UTF-8 (a lone surrogate
 * escape such as "\ud83dx" becomes its three bytes): such text is refused
 * as the invalid JSON it is. */
static gboolean
strings_are_utf8 (JsonNode * node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:{
      JsonObject *obj = json_node_get_object (node);
      JsonObjectIter iter;
      const gchar *name;
      JsonNode *member;
      json_object_iter_init (&iter, obj);
      while (json_object_iter_next (&iter, &name, &member))
        if (!g_utf8_validate (name, -1, nullptr) || !strings_are_utf8 (member))
          return FALSE;
      return TRUE;
    }
    case JSON_NODE_ARRAY:{
      JsonArray *arr = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (arr); i++)
        if (!strings_are_utf8 (json_array_get_element (arr, i)))
          return FALSE;
      return TRUE;
    }
    case JSON_NODE_VALUE:
      return json_node_get_value_type (node) != G_TYPE_STRING
          || g_utf8_validate (json_node_get_string (node), -1, nullptr);
    case JSON_NODE_NULL:
    default:
      return TRUE;
  }
}

JsonNode *
voice_json_parse (const gchar * text, gboolean want_object)
{
  if (text == nullptr || !g_utf8_validate (text, -1, nullptr)
      || !depth_is_bounded (text))
    return nullptr;

  JsonParser *parser = json_parser_new_immutable ();
  JsonNode *node = nullptr;
  if (json_parser_load_from_data (parser, text, -1, nullptr)) {
    JsonNode *root = json_parser_get_root (parser);
    if (root && (!want_object || JSON_NODE_HOLDS_OBJECT (root))
        && strings_are_utf8 (root))
      node = json_node_copy (root);
  }
  g_object_unref (parser);
  return node;
}

gboolean
voice_json_is_valid (const gchar * text, gboolean want_object)
{
  JsonNode *node = voice_json_parse (text, want_object);
  if (!node)
    return FALSE;
  json_node_unref (node);
  return TRUE;
}

#include <cmath>
#include <string>

/* Python's float repr: the shortest of %.15g .. %.17g that reads back the
 * same, with ".0" added to whole numbers */
void
voice_json_append_double (std::string & out, gdouble v)
{
  if (!std::isfinite (v)) {
    out += "null";
    return;
  }
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (const gchar * fmt:{"%.15g", "%.16g", "%.17g"}) {
    g_ascii_formatd (buf, sizeof (buf), fmt, v);
    if (g_ascii_strtod (buf, nullptr) == v)
      break;
  }
  out += buf;
  if (!strpbrk (buf, ".e"))
    out += ".0";
}

static void
append_unicode_escape (std::string & out, gunichar c)
{
  gchar buf[8];
  g_snprintf (buf, sizeof (buf), "\\u%04x", c);
  out += buf;
}

void
voice_json_append_string (std::string & out, const gchar * s)
{
  out += '"';
  for (const gchar * p = s; p && *p;) {
    /* whatever the text holds, the output is JSON that strict parsers
     * read: a byte that is not UTF-8, or a surrogate, becomes U+FFFD */
    gunichar c = g_utf8_get_char_validated (p, -1);
    if (c == (gunichar) - 1 || c == (gunichar) - 2) {
      c = 0xfffd;
      p++;
    } else {
      p = g_utf8_next_char (p);
      if (c >= 0xd800 && c < 0xe000)
        c = 0xfffd;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || (c >= 0x7f && c < 0x10000)) {
          append_unicode_escape (out, c);
        } else if (c >= 0x10000) {
          c -= 0x10000;
          append_unicode_escape (out, 0xd800 + (c >> 10));
          append_unicode_escape (out, 0xdc00 + (c & 0x3ff));
        } else {
          out += (gchar) c;
        }
        break;
    }
  }
  out += '"';
}

static void
append_node (std::string & out, JsonNode * node, guint depth)
{
  std::string indent (2 * (depth + 1), ' ');
  std::string close_indent (2 * depth, ' ');

  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:{
      JsonObject *obj = json_node_get_object (node);
      GList *members = json_object_get_members (obj);
      if (!members) {
        out += "{}";
        break;
      }
      out += "{\n";
      for (GList * l = members; l; l = l->next) {
        const gchar *name = (const gchar *) l->data;
        out += indent;
        voice_json_append_string (out, name);
        out += ": ";
        append_node (out, json_object_get_member (obj, name), depth + 1);
        out += l->next ? ",\n" : "\n";
      }
      g_list_free (members);
      out += close_indent + "}";
      break;
    }
    case JSON_NODE_ARRAY:{
      JsonArray *arr = json_node_get_array (node);
      guint n = json_array_get_length (arr);
      if (n == 0) {
        out += "[]";
        break;
      }
      out += "[\n";
      for (guint i = 0; i < n; i++) {
        out += indent;
        append_node (out, json_array_get_element (arr, i), depth + 1);
        out += i + 1 < n ? ",\n" : "\n";
      }
      out += close_indent + "]";
      break;
    }
    case JSON_NODE_NULL:
      out += "null";
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node)) {
        case G_TYPE_INT64:
          out += std::to_string (json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          voice_json_append_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          out += json_node_get_boolean (node) ? "true" : "false";
          break;
        case G_TYPE_STRING:
          voice_json_append_string (out, json_node_get_string (node));
          break;
        default:
          out += "null";
          break;
      }
      break;
  }
}

gchar *
voice_json_to_text (JsonNode * node)
{
  std::string out;
  append_node (out, node, 0);
  return g_strdup (out.c_str ());
}
