// Finds node.exe for the engine: --node when given (must exist), else %ProgramFiles%\nodejs\node.exe
// (where the Node.js installer puts it), else the first node.exe on PATH.
using System;
using System.IO;

namespace OvsPowerShell.ServiceHost
{
    internal static class NodeLocator
    {
        public static string Find(string given)
        {
            if (!string.IsNullOrEmpty(given))
            {
                if (File.Exists(given)) return Path.GetFullPath(given);
                string onPath = SearchPath(given);
                if (onPath != null) return onPath;
                throw new FileNotFoundException("node executable '" + given + "' (from --node) does not exist; install Node.js 20 or later or fix the service's command line", given);
            }
            string programFiles = Environment.GetEnvironmentVariable("ProgramW6432") ?? Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles);
            if (!string.IsNullOrEmpty(programFiles))
            {
                string standard = Path.Combine(programFiles, "nodejs", "node.exe");
                if (File.Exists(standard)) return standard;
            }
            string found = SearchPath("node.exe");
            if (found != null) return found;
            throw new FileNotFoundException("node.exe was found neither in %ProgramFiles%\\nodejs nor on the machine PATH; install Node.js 20 or later, or register the service with --node=PATH");
        }

        private static string SearchPath(string name)
        {
            if (name.IndexOfAny(new[] { '\\', '/' }) >= 0) return null;
            string path = Environment.GetEnvironmentVariable("PATH") ?? "";
            foreach (string dir in path.Split(Path.PathSeparator))
            {
                if (dir.Trim().Length == 0) continue;
                try
                {
                    string candidate = Path.Combine(dir.Trim().Trim('"'), name);
                    if (File.Exists(candidate)) return candidate;
                }
                catch (ArgumentException)
                {
                    // A malformed PATH entry: skip it.
                }
            }
            return null;
        }
    }
}
