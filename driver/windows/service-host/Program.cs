// ovs-service-host.exe: the process the SCM starts for the ovs-engine service. node.exe does not
// speak the service control protocol (StartServiceCtrlDispatcher), so a service registered as
// `node ovs-engine.js` is killed by the SCM after its start timeout; this host answers the SCM
// and runs node as its child. See README.md.
using System;
using System.IO;
using System.ServiceProcess;
using System.Threading;

namespace OvsPowerShell.ServiceHost
{
    internal static class Program
    {
        private static int Main(string[] args)
        {
            HostOptions options;
            try
            {
                options = HostOptions.Parse(args);
            }
            catch (HostOptionsException e)
            {
                Console.Error.WriteLine("ovs-service-host: " + e.Message);
                return 2;
            }
            if (options.Help)
            {
                Console.WriteLine(HostOptions.Usage);
                return 0;
            }
            var log = new HostLog(options.HostLogFile, options.Console || Environment.UserInteractive);
            if (options.Console) return RunInConsole(options, log);
            if (Environment.UserInteractive)
            {
                Console.Error.WriteLine("ovs-service-host: started outside the service control manager; run it as the service " + options.ServiceName + " (Start-OvsService) or add --console to run the engine in the foreground");
                return 2;
            }
            ServiceBase.Run(new EngineService(options, log));
            return 0;
        }

        private static int RunInConsole(HostOptions options, HostLog log)
        {
            using (var runner = new EngineRunner(options, log))
            {
                var done = new ManualResetEventSlim(false);
                int exitCode = 0;
                runner.Exited += (code, requested) => { exitCode = code; if (!requested) done.Set(); };
                Console.CancelKeyPress += (s, e) =>
                {
                    e.Cancel = true;
                    ThreadPool.QueueUserWorkItem(_ => { runner.Stop(); done.Set(); });
                };
                try
                {
                    runner.Start();
                }
                catch (Exception e)
                {
                    log.Error("cannot start the engine: " + e.Message);
                    return 1;
                }
                if (Console.IsInputRedirected)
                {
                    // A supervisor (or a test) stops the engine by closing the host's stdin.
                    var watcher = new Thread(() =>
                    {
                        try { while (Console.In.ReadLine() != null) { } } catch (IOException) { }
                        log.Info("standard input closed: stopping the engine");
                        runner.Stop();
                        done.Set();
                    }) { IsBackground = true, Name = "stdin" };
                    watcher.Start();
                }
                done.Wait();
                return runner.ExitCode ?? exitCode;
            }
        }
    }
}
