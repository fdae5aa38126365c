// The service host's command line: its own options, then "--", then the engine's command line
// (the engine script first, then the engine's options). Derived defaults follow the engine's own
// options so that the host and the engine agree on the run and log directories.
using System;
using System.Collections.Generic;
using System.IO;

namespace OvsPowerShell.ServiceHost
{
    internal sealed class HostOptionsException : Exception
    {
        public HostOptionsException(string message) : base(message) { }
    }

    internal sealed class HostOptions
    {
        /// <summary>The data root of an installed engine (the MSI's DATADIR, the module's default).</summary>
        public static readonly string DefaultDataRoot =
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "openvswitch");

        public const string Usage =
            "usage: ovs-service-host [--name=SERVICE] [--node=NODE.EXE] [--log=FILE] [--ctl=PATH]\n" +
            "                        [--stop-timeout=SECONDS] [--console] -- ENGINE.JS [ENGINE-OPTIONS...]\n" +
            "Runs the ovs-powershell engine (node ENGINE.JS ...) as the Windows service SERVICE (default\n" +
            "ovs-engine), or in the foreground with --console (Ctrl+C, or closing a redirected stdin, stops it\n" +
            "gracefully: the engine's \"exit\" control command, then a kill after --stop-timeout, default 20 s).";

        public string ServiceName = "ovs-engine";
        public string NodePath;
        public string LogFile;
        public string ControlSocket;
        public int StopTimeoutSeconds = 20;
        public bool Console;
        public bool Help;
        public readonly List<string> EngineArgs = new List<string>();

        public static HostOptions Parse(string[] args)
        {
            var o = new HostOptions();
            int i = 0;
            for (; i < args.Length; i++)
            {
                string a = args[i];
                if (a == "--") { i++; break; }
                if (a == "--console") { o.Console = true; continue; }
                if (a == "--help" || a == "-h" || a == "/?") { o.Help = true; continue; }
                int eq = a.IndexOf('=');
                if (!a.StartsWith("--", StringComparison.Ordinal) || eq < 0)
                {
                    // The first argument that is not a host option starts the engine's command line.
                    break;
                }
                string name = a.Substring(2, eq - 2);
                string value = a.Substring(eq + 1);
                if (value.Length == 0) throw new HostOptionsException("--" + name + " needs a value");
                switch (name)
                {
                    case "name": o.ServiceName = value; break;
                    case "node": o.NodePath = value; break;
                    case "log": o.LogFile = value; break;
                    case "ctl": o.ControlSocket = value; break;
                    case "stop-timeout":
                        int s;
                        if (!int.TryParse(value, out s) || s < 1 || s > 3600)
                            throw new HostOptionsException("--stop-timeout=" + value + ": expected a number of seconds from 1 to 3600");
                        o.StopTimeoutSeconds = s;
                        break;
                    default:
                        throw new HostOptionsException("unknown option '--" + name + "'\n" + Usage);
                }
            }
            for (; i < args.Length; i++) o.EngineArgs.Add(args[i]);
            if (!o.Help && o.EngineArgs.Count == 0)
                throw new HostOptionsException("no engine script given (expected -- ENGINE.JS [ENGINE-OPTIONS...])\n" + Usage);
            return o;
        }

        /// <summary>The value of an engine option --NAME=VALUE, else the environment variable, else null.</summary>
        public string EngineOption(string name, string envName)
        {
            string prefix = "--" + name + "=";
            for (int i = EngineArgs.Count - 1; i >= 1; i--)
                if (EngineArgs[i].StartsWith(prefix, StringComparison.Ordinal)) return EngineArgs[i].Substring(prefix.Length);
            string env = Environment.GetEnvironmentVariable(envName);
            return string.IsNullOrEmpty(env) ? null : env;
        }

        public string RunDirectory
        {
            get { return EngineOption("rundir", "OVS_RUNDIR") ?? Path.Combine(DefaultDataRoot, "run"); }
        }

        public string LogDirectory
        {
            get { return EngineOption("logdir", "OVS_LOGDIR") ?? Path.Combine(DefaultDataRoot, "log"); }
        }

        public string HostLogFile
        {
            get { return LogFile ?? Path.Combine(LogDirectory, "ovs-service-host.log"); }
        }

        /// <summary>The engine's control socket as engine/util/unixctl.ts names it: &lt;rundir&gt;/ovs-engine.ctl
        /// on Windows (a named pipe), &lt;rundir&gt;/ovs-engine.&lt;pid&gt;.ctl elsewhere.</summary>
        public string ControlSocketPath(int enginePid)
        {
            if (ControlSocket != null) return ControlSocket;
            string dir = TrimSeparators(FullPath(RunDirectory));
            return Environment.OSVersion.Platform == PlatformID.Win32NT
                ? dir + "/ovs-engine.ctl"
                : dir + "/ovs-engine." + enginePid.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".ctl";
        }

        /// <summary>The named pipe OVS (and the engine) use for a local socket path: every slash and
        /// backslash removed, unless it already is \\.\pipe\NAME.</summary>
        public static string PipeName(string path)
        {
            const string prefix = @"\\.\pipe\";
            if (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return path.Substring(prefix.Length);
            return path.Replace("/", "").Replace("\\", "");
        }

        private static string FullPath(string p)
        {
            try { return Path.GetFullPath(p); } catch (ArgumentException) { return p; } catch (NotSupportedException) { return p; }
        }

        private static string TrimSeparators(string p)
        {
            string t = p.TrimEnd('/', '\\');
            return t.Length == 0 ? p : t;
        }
    }
}
