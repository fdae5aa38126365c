// Starts node with the engine's command line, copies its output into the host log, and stops it:
// first gracefully (the engine's "exit" control command, so it closes the database cleanly and
// removes its pidfiles and sockets), then by killing it when it has not exited within the timeout.
using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading;

namespace OvsPowerShell.ServiceHost
{
    internal sealed class EngineRunner : IDisposable
    {
        private readonly HostOptions options;
        private readonly HostLog log;
        private readonly object gate = new object();
        private Process process;
        private KillOnCloseJob job;
        private int stopRequested;

        /// <summary>Raised once when the engine process ends, with its exit code and whether Stop asked for it.</summary>
        public event Action<int, bool> Exited;

        public EngineRunner(HostOptions options, HostLog log)
        {
            this.options = options;
            this.log = log;
        }

        public int ProcessId { get { lock (gate) { return process == null ? 0 : process.Id; } } }

        public bool HasExited { get { lock (gate) { return process == null || process.HasExited; } } }

        /// <summary>The engine's exit code once it has exited, else null.</summary>
        public int? ExitCode
        {
            get
            {
                lock (gate)
                {
                    try { return process != null && process.HasExited ? process.ExitCode : (int?)null; }
                    catch (InvalidOperationException) { return null; }
                }
            }
        }

        public void Start()
        {
            string node = NodeLocator.Find(options.NodePath);
            var psi = new ProcessStartInfo(node, CommandLine.Join(options.EngineArgs))
            {
                UseShellExecute = false,
                CreateNoWindow = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            psi.EnvironmentVariables["OVS_SERVICE_NAME"] = options.ServiceName;
            log.Info("starting " + CommandLine.Quote(node) + " " + psi.Arguments);
            var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
            p.OutputDataReceived += (s, e) => { if (e.Data != null) log.Engine(e.Data); };
            p.ErrorDataReceived += (s, e) => { if (e.Data != null) log.Engine(e.Data); };
            p.Exited += OnProcessExited;
            lock (gate)
            {
                p.Start();
                process = p;
            }
            if (Environment.OSVersion.Platform == PlatformID.Win32NT)
            {
                try
                {
                    job = KillOnCloseJob.Create();
                    job.Add(p);
                }
                catch (Exception e)
                {
                    log.Warn("the engine runs outside a kill-on-close job (" + e.Message + "); if this host dies, end node (pid " + p.Id + ") by hand");
                }
            }
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            // Nothing is ever written to the engine's stdin; closing it lets the engine see EOF, not a hang.
            p.StandardInput.Close();
            log.Info("engine started, pid " + p.Id.ToString(CultureInfo.InvariantCulture) + "; control socket " + options.ControlSocketPath(p.Id));
        }

        private void OnProcessExited(object sender, EventArgs e)
        {
            var p = (Process)sender;
            int code;
            try { code = p.ExitCode; } catch (InvalidOperationException) { code = -1; }
            bool requested = Volatile.Read(ref stopRequested) != 0;
            log.Info("engine (pid " + p.Id.ToString(CultureInfo.InvariantCulture) + ") exited with code " + code.ToString(CultureInfo.InvariantCulture) + (requested ? " after a stop request" : " unexpectedly"));
            var handler = Exited;
            if (handler != null) handler(code, requested);
        }

        /// <summary>Graceful stop, then kill after the timeout. Returns true when it exited gracefully.</summary>
        public bool Stop()
        {
            Interlocked.Exchange(ref stopRequested, 1);
            Process p;
            lock (gate) { p = process; }
            if (p == null || p.HasExited) return true;
            int timeoutMs = options.StopTimeoutSeconds * 1000;
            var clock = Stopwatch.StartNew();
            string failure = ControlClient.RequestExit(options.ControlSocketPath(p.Id), Math.Min(5000, timeoutMs));
            if (failure != null) log.Warn("could not ask the engine to exit over its control socket: " + failure);
            else log.Info("asked the engine to exit (control command \"exit\")");
            int left = Math.Max(0, timeoutMs - (int)clock.ElapsedMilliseconds);
            if (failure == null && p.WaitForExit(left))
            {
                p.WaitForExit(); // flushes the redirected output
                log.Info("engine exited in " + clock.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture) + " ms");
                return true;
            }
            log.Warn("engine did not exit within " + options.StopTimeoutSeconds.ToString(CultureInfo.InvariantCulture) + " s; killing pid " + p.Id.ToString(CultureInfo.InvariantCulture));
            try { p.Kill(); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception e) { log.Error("kill failed: " + e.Message); }
            p.WaitForExit(5000);
            return false;
        }

        public void Dispose()
        {
            lock (gate)
            {
                if (process != null) { process.Dispose(); process = null; }
            }
            if (job != null) { job.Dispose(); job = null; }
        }
    }
}
