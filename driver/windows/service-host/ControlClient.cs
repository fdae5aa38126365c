// Asks the engine to exit the way `ovs-appctl -t ovs-engine exit` does: one JSON-RPC 1.0 request
// {"method":"exit","params":[],"id":0} on its control socket, which on Windows is a named pipe and
// elsewhere (the host under Mono, in the Linux tests) a unix socket at the path itself.
using System;
using System.IO;
using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace OvsPowerShell.ServiceHost
{
    internal static class ControlClient
    {
        /// <summary>Sends "exit"; returns null on success, else why it could not be sent.</summary>
        public static string RequestExit(string controlSocketPath, int connectTimeoutMs)
        {
            if (Environment.OSVersion.Platform != PlatformID.Win32NT) return RequestExitUnix(controlSocketPath, connectTimeoutMs);
            string pipe = HostOptions.PipeName(controlSocketPath);
            try
            {
                using (var client = new NamedPipeClientStream(".", pipe, PipeDirection.InOut))
                {
                    client.Connect(connectTimeoutMs);
                    byte[] request = Encoding.UTF8.GetBytes("{\"method\":\"exit\",\"params\":[],\"id\":0}");
                    client.Write(request, 0, request.Length);
                    client.Flush();
                    // The reply ({"id":0,"result":null,"error":null}) or the pipe closing both mean the
                    // request arrived; the engine exits right after answering.
                    var buffer = new byte[512];
                    var read = client.BeginRead(buffer, 0, buffer.Length, null, null);
                    if (read.AsyncWaitHandle.WaitOne(connectTimeoutMs))
                    {
                        try { client.EndRead(read); } catch (IOException) { }
                    }
                    return null;
                }
            }
            catch (TimeoutException)
            {
                return @"\\.\pipe\" + pipe + ": no answer within " + connectTimeoutMs + " ms";
            }
            catch (IOException e)
            {
                return @"\\.\pipe\" + pipe + ": " + e.Message;
            }
            catch (Exception e)
            {
                // UnauthorizedAccessException, or PlatformNotSupportedException off Windows.
                return @"\\.\pipe\" + pipe + ": " + e.GetType().Name + ": " + e.Message;
            }
        }

        private static readonly byte[] ExitRequest = Encoding.UTF8.GetBytes("{\"method\":\"exit\",\"params\":[],\"id\":0}");

        private static string RequestExitUnix(string path, int timeoutMs)
        {
            try
            {
                using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
                {
                    socket.SendTimeout = timeoutMs;
                    socket.ReceiveTimeout = timeoutMs;
                    socket.Connect(new UnixSocketEndPoint(path));
                    socket.Send(ExitRequest);
                    var buffer = new byte[512];
                    try { socket.Receive(buffer); } catch (SocketException) { }
                    return null;
                }
            }
            catch (Exception e)
            {
                return path + ": " + e.GetType().Name + ": " + e.Message;
            }
        }

        /// <summary>sockaddr_un for a path (the .NET Framework has no unix socket endpoint class).</summary>
        private sealed class UnixSocketEndPoint : EndPoint
        {
            private readonly string path;

            public UnixSocketEndPoint(string path) { this.path = path; }

            public override AddressFamily AddressFamily { get { return AddressFamily.Unix; } }

            public override SocketAddress Serialize()
            {
                byte[] bytes = Encoding.UTF8.GetBytes(path);
                var address = new SocketAddress(AddressFamily.Unix, 2 + bytes.Length + 1);
                for (int i = 0; i < bytes.Length; i++) address[2 + i] = bytes[i];
                address[2 + bytes.Length] = 0;
                return address;
            }

            public override EndPoint Create(SocketAddress address)
            {
                var bytes = new byte[Math.Max(0, address.Size - 2)];
                for (int i = 0; i < bytes.Length; i++) bytes[i] = address[2 + i];
                return new UnixSocketEndPoint(Encoding.UTF8.GetString(bytes).TrimEnd('\0'));
            }

            public override string ToString() { return path; }
        }
    }
}
