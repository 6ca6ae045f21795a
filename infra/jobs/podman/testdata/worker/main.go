// Command worker is a stand-in trainer for the podman runner's tests. Its
// behaviour is chosen by WORKER_MODE: ok (print the job variables, exit 0),
// fail (print lines, exit 3), hang (ignore SIGTERM, print until killed),
// polite (exit 0 on SIGTERM, as the real trainer must: it is PID 1 in its
// container, where SIGTERM has no default action).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	fmt.Printf("worker %v job %s endpoint %s token-set %v\n", os.Args[1:], os.Getenv("QUARRY_JOB_ID"),
		os.Getenv("QUARRY_ENDPOINT"), len(os.Getenv("QUARRY_JOB_TOKEN")) > 3)
	switch os.Getenv("WORKER_MODE") {
	case "ok":
		fmt.Println("EXTRA=" + os.Getenv("EXTRA"))
	case "fail":
		for i := 1; i <= 5; i++ {
			fmt.Printf("step %d\n", i)
		}
		fmt.Fprintln(os.Stderr, "error: bad dataset")
		os.Exit(3)
	case "hang":
		signal.Ignore(syscall.SIGTERM)
		for {
			fmt.Println("extracting")
			time.Sleep(100 * time.Millisecond)
		}
	case "polite":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		fmt.Println("extracting")
		<-ch
		fmt.Println("stopping")
	}
}
