/* GStreamer voice conversation recorder
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "recordingdir.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

RecordingDir::~RecordingDir ()
{
  close ();
}

static std::string
failure (const std::string & what, const std::string & path, int err)
{
  return what + " " + path + ": " + g_strerror (err);
}

bool
RecordingDir::open (const std::string & location, std::string & error)
{
  close ();
  location_ = location;
  created_top_ = !g_file_test (location.c_str (), G_FILE_TEST_EXISTS);
  if (g_mkdir_with_parents (location.c_str (), 0755) != 0) {
    error = failure ("Could not create the directory", location, errno);
    return false;
  }
  top_ = ::open (location.c_str (), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (top_ < 0) {
    error = failure ("Could not open the directory", location, errno);
    return false;
  }
  created_segments_ = mkdirat (top_, "segments", 0755) == 0;
  if (!created_segments_ && errno != EEXIST) {
    error = failure ("Could not create the directory", path (TOP,
            "segments"), errno);
    return false;
  }
  segments_ = openat (top_, "segments", O_RDONLY | O_DIRECTORY | O_NOFOLLOW
      | O_CLOEXEC);
  if (segments_ < 0) {
    error = failure ("Could not open the directory", path (TOP, "segments"),
        errno == ELOOP ? ENOTDIR : errno);
    return false;
  }
  return true;
}

void
RecordingDir::close ()
{
  if (top_ >= 0)
    ::close (top_);
  if (segments_ >= 0)
    ::close (segments_);
  top_ = segments_ = -1;
}

void
RecordingDir::discard ()
{
  /* rmdir removes only what is empty */
  if (created_segments_ && top_ >= 0)
    unlinkat (top_, "segments", AT_REMOVEDIR);
  close ();
  if (created_top_)
    g_rmdir (location_.c_str ());
  created_top_ = created_segments_ = false;
}

int
RecordingDir::create (Where where, const std::string & name,
    std::string & error)
{
  /* O_EXCL never follows a link, and fails if one is planted in between;
   * what is there already (a file left by a crash, a link) is replaced.
   * (The name is as a rule free: no removal is tried first, as each is
   * a path lookup in the kernel, once a second for the manifest.) */
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int f = openat (fd (where), name.c_str (), flags, 0644);
  if (f < 0 && errno == EEXIST) {
    if (unlinkat (fd (where), name.c_str (), 0) != 0 && errno != ENOENT) {
      error = failure ("Could not replace", path (where, name), errno);
      return -1;
    }
    f = openat (fd (where), name.c_str (), flags, 0644);
  }
  if (f < 0)
    error = failure ("Could not create", path (where, name), errno);
  return f;
}

bool
RecordingDir::rename (Where where, const std::string & from,
    const std::string & to, std::string & error)
{
  if (renameat (fd (where), from.c_str (), fd (where), to.c_str ()) != 0) {
    error = failure ("Could not rename " + path (where, from) + " to",
        path (where, to), errno);
    return false;
  }
  return true;
}

void
RecordingDir::remove (Where where, const std::string & name)
{
  unlinkat (fd (where), name.c_str (), 0);
}

std::string
RecordingDir::path (Where where, const std::string & name) const
{
  gchar *p = where == TOP ? g_build_filename (location_.c_str (),
      name.c_str (), nullptr) : g_build_filename (location_.c_str (),
      "segments", name.c_str (), nullptr);
  std::string s (p);
  g_free (p);
  return s;
}
