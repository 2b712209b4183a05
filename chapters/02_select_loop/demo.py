# Chapter 2's demo on Tornado: the same echo over a socketpair, with IOLoop.add_handler.
import socket

from tornado.ioloop import IOLoop

loop = IOLoop()
client, server = socket.socketpair()
client.setblocking(False)
server.setblocking(False)
messages = ["ping 1", "ping 2", "ping 3"]
sent = 0


def on_server(sock, events):
    data = sock.recv(4096).decode()
    print(f"server: received '{data}', echoing it back")
    sock.send(data.encode())


def on_client(sock, events):
    global sent
    if events & IOLoop.WRITE:
        print(f"client: sending '{messages[sent]}'")
        sock.send(messages[sent].encode())
        sent += 1
        loop.update_handler(sock, IOLoop.READ)
        return
    print(f"client: echo '{sock.recv(4096).decode()}' came back")
    if sent < len(messages):
        loop.update_handler(sock, IOLoop.WRITE)
    else:
        print("client: that was the last one; removing my handler and stopping")
        loop.remove_handler(sock)
        loop.stop()


loop.add_handler(server, on_server, IOLoop.READ)
loop.add_handler(client, on_client, IOLoop.WRITE)

print("starting the loop")
loop.start()
print("the loop has stopped")
loop.close(all_fds=True)
print(f"closed: client {'open' if client.fileno() >= 0 else 'closed'}, "
      f"server {'open' if server.fileno() >= 0 else 'closed'}")
