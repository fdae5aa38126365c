// The SCM side: ServiceBase starts the engine in OnStart and stops it in OnStop/OnShutdown. When the
// engine dies on its own, the service stops with a non-zero exit code; Install-OvsService (and the
// MSI) configure the service's recovery actions with "failure actions on non-crash failures", so
// the SCM then restarts it per those settings (sc.exe failure / failureflag).
using System;
using System.ServiceProcess;
using System.Threading;

namespace OvsPowerShell.ServiceHost
{
    internal sealed class EngineService : ServiceBase
    {
        private const int ERROR_PROCESS_ABORTED = 1067;
        private readonly HostOptions options;
        private readonly HostLog log;
        private EngineRunner runner;
        private int stopping;

        public EngineService(HostOptions options, HostLog log)
        {
            this.options = options;
            this.log = log;
            ServiceName = options.ServiceName;
            CanStop = true;
            CanShutdown = true;
            CanPauseAndContinue = false;
            AutoLog = true;
        }

        protected override void OnStart(string[] args)
        {
            log.Info("service " + ServiceName + " starting");
            Interlocked.Exchange(ref stopping, 0);
            runner = new EngineRunner(options, log);
            runner.Exited += OnEngineExited;
            try
            {
                runner.Start();
            }
            catch (Exception e)
            {
                log.Error("cannot start the engine: " + e.Message);
                throw; // the SCM reports the start as failed (and AutoLog writes the event log entry)
            }
        }

        private void OnEngineExited(int code, bool requested)
        {
            if (requested || Volatile.Read(ref stopping) != 0) return;
            ExitCode = code != 0 ? code : ERROR_PROCESS_ABORTED;
            log.Error("the engine ended without a stop request; stopping the service with exit code " + ExitCode + " so that its recovery actions apply");
            ThreadPool.QueueUserWorkItem(_ => { try { Stop(); } catch (Exception e) { log.Error("stop after engine exit: " + e.Message); Environment.Exit(ExitCode); } });
        }

        protected override void OnStop()
        {
            StopEngine("stop");
        }

        protected override void OnShutdown()
        {
            StopEngine("system shutdown");
        }

        private void StopEngine(string why)
        {
            if (Interlocked.Exchange(ref stopping, 1) != 0 && runner == null) return;
            log.Info("service " + ServiceName + " stopping (" + why + ")");
            RequestAdditionalTime((options.StopTimeoutSeconds + 10) * 1000);
            if (runner != null)
            {
                runner.Stop();
                runner.Dispose();
                runner = null;
            }
            log.Info("service " + ServiceName + " stopped");
        }
    }
}
