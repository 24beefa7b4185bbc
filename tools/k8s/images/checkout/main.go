// checkout: the demo app of slides/advanced-kubernetes-debugging.md, a static HTTP server with no shell
// and no tools in its image (what `kubectl debug --target` is for). With -upstream it is the pod's proxy
// sidecar instead: it forwards every request to the app on localhost (the pod's shared network namespace).
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve on")
	upstream := flag.String("upstream", "", "proxy every request to this URL instead of answering")
	flag.Parse()
	if *upstream != "" {
		target, err := url.Parse(*upstream)
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("proxy on %s -> %s", *listen, target)
		log.Fatal(http.ListenAndServe(*listen, httputil.NewSingleHostReverseProxy(target)))
	}
	host, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		log.Printf("%s %s", r.Method, r.URL.Path)
		fmt.Fprintf(w, "checkout ok (%s)\n", host)
	})
	log.Printf("checkout listening on %s", *listen)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
