"""Chapter 1's demo in plain Python: real generators, printing what demo.cpp prints.

The C++ demo writes each of these generators by hand as a state machine (examples.hpp);
here the interpreter keeps the suspended frames for us.
"""

import inspect


def state(gen):
    # inspect says GEN_SUSPENDED; the C++ enum says Suspended.
    return inspect.getgeneratorstate(gen)[len("GEN_"):].capitalize()


def counter(n):
    i = 1
    while i <= n:
        yield i
        i += 1
    return "done"


def add(a, b):
    return a + b


def mul(a, b):
    return a * b


def show(call):
    fn, args = call
    return f"{fn.__name__}{args}"


def producer(rounds):
    x = 1
    for i in range(1, rounds + 1):
        call = (add, (x, i)) if i % 2 == 1 else (mul, (x, 2))
        print(f"producer: yield {show(call)}")
        x = yield call
    print(f"producer: return {x}")
    return x


def executor():
    result = None
    try:
        while True:
            fn, args = yield result
            result = fn(*args)
            print(f"executor: {show((fn, args))} = {result}")
    except GeneratorExit:
        print("executor: GeneratorExit at its yield; it finishes")
        raise


def run_ping_pong(producer, executor):
    print("scheduler: next(executor) starts it; it waits at its first yield")
    next(executor)
    print("scheduler: next(producer) runs it to its first request")
    request = next(producer)
    trips = 0
    while True:
        result = executor.send(request)
        trips += 1
        try:
            request = producer.send(result)
        except StopIteration as stop:
            print(f"scheduler: producer returned {stop.value} after {trips} round trips")
            print("scheduler: close(executor)")
            executor.close()
            return stop.value


def show_counter():
    print("== counter(3): next() until it returns ==")
    c = counter(3)
    print(f"counter: state {state(c)}")
    while True:
        try:
            value = next(c)
        except StopIteration as stop:
            print(f"counter: returned {stop.value}")
            break
        print(f"counter: yielded {value}, state {state(c)}")
    print(f"counter: state {state(c)}")
    try:
        next(c)
    except StopIteration as stop:
        print(f"counter: next() again returns {stop.value}")


def show_ping_pong():
    print("== ping-pong: a producer, an executor and a scheduler, 10 round trips ==")
    p = producer(10)
    e = executor()
    run_ping_pong(p, e)
    print(f"producer: state {state(p)}; executor: state {state(e)}")


if __name__ == "__main__":
    show_counter()
    show_ping_pong()
