// The host's log, in the engine's log directory, one line per event in OVS's log line layout
// (time|sequence|module|level|text). The engine's own output (stdout/stderr) goes here too.
using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace OvsPowerShell.ServiceHost
{
    internal sealed class HostLog
    {
        private const long RotateBytes = 10L * 1024 * 1024;
        private readonly object gate = new object();
        private readonly string path;
        private readonly bool echo;
        private int sequence;

        public HostLog(string path, bool echo)
        {
            this.path = path;
            this.echo = echo;
            try
            {
                string dir = Path.GetDirectoryName(Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            }
            catch (Exception)
            {
                // Reported by the first write (which then falls back to stderr).
            }
        }

        public string FilePath { get { return path; } }

        public void Info(string text) { Write("INFO", "ovs_service_host", text); }
        public void Warn(string text) { Write("WARN", "ovs_service_host", text); }
        public void Error(string text) { Write("ERR", "ovs_service_host", text); }
        public void Engine(string text) { Write("INFO", "engine_output", text); }

        private void Write(string level, string module, string text)
        {
            lock (gate)
            {
                sequence++;
                string line = string.Format(CultureInfo.InvariantCulture, "{0}|{1:D5}|{2}|{3}|{4}",
                    DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), sequence, module, level, text);
                if (echo) System.Console.Error.WriteLine(line);
                try
                {
                    var info = new FileInfo(path);
                    if (info.Exists && info.Length > RotateBytes)
                    {
                        string old = path + ".1";
                        if (File.Exists(old)) File.Delete(old);
                        File.Move(path, old);
                    }
                    File.AppendAllText(path, line + Environment.NewLine, new UTF8Encoding(false));
                }
                catch (Exception e)
                {
                    if (!echo) System.Console.Error.WriteLine(line + " (log file " + path + ": " + e.Message + ")");
                }
            }
        }
    }
}
